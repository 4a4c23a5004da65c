#!/usr/bin/env python3
"""Train renovml's theme classifier and write the model and its card.

    python train.py                      # evaluate, train on everything, write models/
    python train.py --stats              # corpus counts as JSON, nothing trained
    python train.py --corpus MY.jsonl --out my-model/
    python train.py --fasttext-python ENV/bin/python   # also run the fastText baseline

A thin command line over :func:`renovml.train`: grouped cross-validation by
article (articles from one source share a fold), nested so that thresholds are
tuned on out-of-fold predictions of the training articles only. The figures in
MODEL_CARD.md and metrics.json are computed there; none is written by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
AGREEMENT = ROOT / "seeds" / "agreement" / "double_annotation.jsonl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append",
                        help="annotated corpus: a .jsonl file or a directory of them (repeatable; "
                             "default seeds/corpus)")
    parser.add_argument("--out", default=str(ROOT / "models"), help="where to write the model")
    parser.add_argument("--stats", action="store_true", help="print corpus counts as JSON and stop")
    parser.add_argument("--data-card", metavar="PATH", nargs="?",
                        const=str(ROOT / "seeds" / "README.md"),
                        help="write the corpus's data card (default seeds/README.md) and stop")
    parser.add_argument("--folds", type=int, default=5, help="outer folds (default 5)")
    parser.add_argument("--fasttext-python", metavar="PYTHON",
                        help="interpreter of an environment with fasttext-wheel 0.9.2; runs "
                             "baselines/fasttext_baseline.py on the same folds")
    parser.add_argument("--no-learning-curve", action="store_true",
                        help="skip the learning curve (faster)")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO - 10 * min(args.verbose, 1),
                        format="%(asctime)s %(name)s %(message)s")
    import renovml
    from renovml.training import cards, corpus_stats, load_corpus

    corpora = args.corpus or [str(ROOT / "seeds" / "corpus")]
    corpus = corpora[0] if len(corpora) == 1 else corpora
    if args.stats or args.data_card:
        articles, _ = load_corpus(corpus)
        stats = corpus_stats(articles)
        if args.stats:
            print(json.dumps(stats, ensure_ascii=False, indent=2))
        else:
            Path(args.data_card).write_text(cards.data_card(articles, stats, AGREEMENT),
                                            encoding="utf-8")
            print(f"wrote {args.data_card}")
        return 0

    out = Path(args.out)
    result = renovml.train(corpus, folds=args.folds, learning_curve=not args.no_learning_curve,
                           fasttext_python=args.fasttext_python,
                           fasttext_metrics=out / "fasttext_metrics.json")
    result.save(out)
    m = result.metrics
    fasttext = m["baselines"]["fasttext"]
    print(json.dumps({"sentence_macro_f1": m["sentence"]["macro_f1"],
                      "paragraph_macro_f1": m["paragraph"]["macro_f1"],
                      "keyword_sentence_macro_f1": m["baselines"]["keyword"]["sentence"]["macro_f1"],
                      "fasttext_sentence_macro_f1": fasttext["sentence"]["macro_f1"]
                      if fasttext else None, "seconds": m["training_seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
