"""fastText baseline on the same grouped folds as train.py.

    python baselines/fasttext_baseline.py --corpus seeds/corpus --folds models/folds.json \
        --out models/fasttext_metrics.json

fastText needs an environment of its own (fasttext-wheel 0.9.2 with numpy<2;
the fasttext 0.9.3 source build gave NaN losses on small corpora). Install it
beside renovml there, then run this script, or let ``train.py
--fasttext-python ENV/bin/python`` run it. It trains a supervised model with
the one-vs-all loss on renovml's own clean text and jieba tokens, tunes a
threshold per theme on an inner grouped split of each training fold (as
train.py does), and writes per-theme precision/recall/F1 at sentence and
paragraph level where train.py's model card picks them up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from renovml.model.features import section_texts
from renovml.model.tokens import token_cache, tokenize
from renovml.themes import THEMES
from renovml.training.corpus import corpus_hash, read_corpus
from renovml.training.cv import inner_folds, paragraph_rollup, subset_units, units_of
from renovml.training.metrics import best_thresholds, scores

PARAMS = dict(loss="ova", epoch=50, lr=0.5, wordNgrams=2, dim=50, minCount=1, bucket=200000,
              thread=1, seed=0, verbose=0)


def _lines(units) -> list[str]:
    return [" ".join(tokenize(t)) or "<empty>" for t in section_texts(units.inputs)]


def _train(fasttext, lines: list[str], y: np.ndarray):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for line, row in zip(lines, y):
            labels = " ".join(f"__label__{t}" for t, on in zip(THEMES, row) if on) or "__label__none"
            fh.write(f"{labels} {line}\n")
        name = fh.name
    try:
        return fasttext.train_supervised(input=name, **PARAMS)
    finally:
        os.unlink(name)


def _proba(model, lines: list[str]) -> np.ndarray:
    out = np.zeros((len(lines), len(THEMES)))
    for i, line in enumerate(lines):
        labels, probs = model.predict(line, k=-1, threshold=0.0)
        for label, p in zip(labels, probs):
            theme = label.replace("__label__", "")
            if theme in THEMES:
                out[i, THEMES.index(theme)] = min(float(p), 1.0)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fastText baseline on train.py's folds")
    parser.add_argument("--corpus", default="seeds/corpus")
    parser.add_argument("--folds", default="models/folds.json")
    parser.add_argument("--out", default="models/fasttext_metrics.json")
    args = parser.parse_args(argv)
    import fasttext

    started = time.perf_counter()
    articles = read_corpus(args.corpus)
    folds_doc = json.loads(open(args.folds, encoding="utf-8").read())
    folds = folds_doc["folds"]
    S, P = units_of(articles, "sentence"), units_of(articles, "paragraph")
    with token_cache():
        lines = _lines(S)
    fold_of = np.array([folds[g] for g in S.groups])
    proba = np.zeros(S.y.shape)
    pred = np.zeros(S.y.shape, dtype=np.int8)
    para_pred = np.zeros((len(P.inputs), len(THEMES)), dtype=np.int8)
    for k in sorted(set(fold_of.tolist())):
        test = fold_of == k
        train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
        train = subset_units(S, ~test)
        inner_fold = inner_folds(train.sources, 4)
        inner = np.zeros(train.y.shape)
        for j in np.unique(inner_fold):
            fit_idx, held_idx = train_idx[inner_fold != j], train_idx[inner_fold == j]
            model = _train(fasttext, [lines[i] for i in fit_idx], S.y[fit_idx])
            inner[inner_fold == j] = _proba(model, [lines[i] for i in held_idx])
        th = best_thresholds(train.y, inner)
        model = _train(fasttext, [lines[i] for i in train_idx], S.y[train_idx])
        proba[test] = _proba(model, [lines[i] for i in test_idx])
        pred[test] = proba[test] >= th
        _, inner_para = paragraph_rollup(inner, train.paragraph_of)
        pth = best_thresholds(P.y[np.unique(train.paragraph_of[train.paragraph_of >= 0])],
                              inner_para)
        ids, held_para = paragraph_rollup(proba[test], S.paragraph_of[test])
        para_pred[ids] = held_para >= pth
        print(f"fold {k} done", file=sys.stderr)
    result = {
        "model": "fastText supervised, one-vs-all loss",
        "params": PARAMS,
        "fasttext_version": "fasttext-wheel 0.9.2",
        "numpy": np.__version__,
        "corpus_hash": corpus_hash(args.corpus),
        "folds_hash": folds_doc["folds_hash"],
        "sentence": scores(S.y, pred),
        "paragraph": scores(P.y, para_pred),
        "seconds": round(time.perf_counter() - started, 1),
    }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    print(json.dumps({"sentence_macro_f1": result["sentence"]["macro_f1"],
                      "paragraph_macro_f1": result["paragraph"]["macro_f1"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
