#!/usr/bin/env python3
"""Train renovml's theme classifier and write the model and its card.

    python train.py                      # evaluate, train on everything, write models/
    python train.py --stats              # corpus counts as JSON, nothing trained
    python train.py --corpus MY.jsonl --out my-model/
    python train.py --fasttext-python ENV/bin/python   # also run the fastText baseline

Evaluation is grouped cross-validation by article (articles from one source
share a fold), nested so that thresholds are tuned on out-of-fold predictions
of the training articles only. The figures in MODEL_CARD.md and metrics.json
are computed here; none is written by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from renovml._artifact import save, versions
from renovml._evaluate import best_thresholds, calibration, scores
from renovml._model import rollup
from renovml._tokens import token_cache
from renovml._training import (
    Config,
    _subset,
    cross_validate,
    evaluate_split,
    fit_model,
    keyword_predictions,
    make_folds,
    units_of,
)
from renovml.corpus import THEMES, corpus_hash, corpus_stats, read_corpus, validate_corpus

logger = logging.getLogger("train")
ROOT = Path(__file__).resolve().parent

# Candidate configurations, cheapest to predict first. The first whose sentence-level
# macro-F1 under grouped CV is within TOLERANCE of the best is shipped: a costlier
# model must earn its cost by more than noise (the per-fold sd is several times this).
CANDIDATES = [
    Config("jieba words", chars=False, lexicon=False),
    Config("char 1-3-grams", words=False, lexicon=False),
    Config("words + chars + lexicon"),
    Config("words + chars + lexicon + heading", context_weight=0.3, neighbours=False),
    Config("words + chars + lexicon + heading + neighbours", context_weight=0.3),
]
TOLERANCE = 0.005


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(ROOT / "seeds" / "corpus"),
                        help="annotated corpus: a .jsonl file or a directory of them")
    parser.add_argument("--out", default=str(ROOT / "models"), help="where to write the model")
    parser.add_argument("--stats", action="store_true", help="print corpus counts as JSON and stop")
    parser.add_argument("--data-card", metavar="PATH", nargs="?", const=str(ROOT / "seeds" / "README.md"),
                        help="write the corpus's data card (default seeds/README.md) and stop")
    parser.add_argument("--folds", type=int, default=5, help="outer folds (default 5)")
    parser.add_argument("--fasttext-python", metavar="PYTHON",
                        help="interpreter of an environment with fasttext-wheel 0.9.2; runs "
                             "baselines/fasttext_baseline.py on the same folds")
    parser.add_argument("--no-learning-curve", action="store_true",
                        help="skip the learning curve (faster)")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def _row(name: str, s: dict) -> str:
    cells = " | ".join(f"{s[t]['precision']:.3f} / {s[t]['recall']:.3f} / {s[t]['f1']:.3f}"
                       for t in THEMES)
    return f"| {name} | {cells} | **{s['macro_f1']:.3f}** |"


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "| model | " + " | ".join(f"{t} P / R / F1" for t in THEMES) + " | macro-F1 |"
    sep = "|---" * (len(THEMES) + 2) + "|"
    return "\n".join([head, sep] + [_row(n, s) for n, s in rows])


def _fold_spread(y, pred, fold_of) -> dict:
    per_fold = [scores(y[fold_of == k], pred[fold_of == k])["macro_f1"]
                for k in np.unique(fold_of)]
    return {"per_fold_macro_f1": per_fold, "mean": round(float(np.mean(per_fold)), 4),
            "std": round(float(np.std(per_fold)), 4)}


def _learning_curve(config, S, P, folds) -> list[dict]:
    """Macro-F1 on every outer fold when its training side keeps only a share of its
    articles (the same random order of articles for every share)."""
    articles = sorted(set(S.groups.tolist()))
    rank = dict(zip(articles, np.random.RandomState(0).permutation(len(articles))))
    fold_of = np.array([folds[g] for g in S.groups])
    kept_rank = np.array([rank[g] for g in S.groups]) / len(articles)
    out = []
    with token_cache():
        for share in (0.25, 0.5, 0.75):
            pred = np.zeros(S.y.shape, dtype=np.int8)
            para_pred = np.zeros(P.y.shape, dtype=np.int8)
            n_train = []
            for k in np.unique(fold_of):
                test = fold_of == k
                train = _subset(S, ~test & (kept_rank < share))
                n_train.append(len(set(train.groups.tolist())))
                fold = evaluate_split(config, train, _subset(S, test), paragraph_y=P.y)
                pred[test] = fold.pred
                para_pred[fold.para_ids] = fold.para_pred
            out.append({"share_of_training_articles": share,
                        "approx_training_articles": int(np.mean(n_train)),
                        "sentence_macro_f1": scores(S.y, pred)["macro_f1"],
                        "paragraph_macro_f1": scores(P.y, para_pred)["macro_f1"]})
            logger.warning("learning curve %.2f: %s", share, out[-1])
    return out


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(asctime)s %(name)s %(message)s")
    articles = read_corpus(args.corpus)
    validate_corpus(articles)
    stats = corpus_stats(articles)
    if args.stats:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    if args.data_card:
        Path(args.data_card).write_text(data_card(articles, stats), encoding="utf-8")
        print(f"wrote {args.data_card}")
        return 0

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data_hash = corpus_hash(args.corpus)
    folds = make_folds(articles, args.folds)
    folds_hash = hashlib.sha256(json.dumps(folds, sort_keys=True).encode()).hexdigest()
    (out / "folds.json").write_text(json.dumps(
        {"corpus_hash": data_hash, "folds_hash": folds_hash, "folds": folds},
        indent=1, sort_keys=True) + "\n", encoding="utf-8")

    S, P = units_of(articles, "sentence"), units_of(articles, "paragraph")
    experiments, results = [], {}
    for config in CANDIDATES:
        t0 = time.perf_counter()
        r = cross_validate(config, S, folds, paragraph_y=P.y)
        results[config.name] = r
        experiments.append({"config": config.name, "sentence": scores(S.y, r.pred),
                            "paragraph_from_sentences": scores(P.y, r.para_pred),
                            "seconds": round(time.perf_counter() - t0, 1)})
        logger.warning("%-36s sentence macro-F1 %.4f  paragraph %.4f", config.name,
                       experiments[-1]["sentence"]["macro_f1"],
                       experiments[-1]["paragraph_from_sentences"]["macro_f1"])
    top = max(e["sentence"]["macro_f1"] for e in experiments)
    best_i = next(i for i, e in enumerate(experiments)
                  if e["sentence"]["macro_f1"] >= top - TOLERANCE)
    best, r = CANDIDATES[best_i], results[CANDIDATES[best_i].name]

    # Paragraphs: roll the sentence model up, or fit a model on paragraphs directly.
    direct = cross_validate(best, P, folds)
    para_aggregate = scores(P.y, r.para_pred)
    para_direct = scores(P.y, direct.pred)
    paragraph_mode = "direct" if para_direct["macro_f1"] > para_aggregate["macro_f1"] else "aggregate"
    logger.warning("paragraphs: aggregate %.4f, direct %.4f -> %s", para_aggregate["macro_f1"],
                   para_direct["macro_f1"], paragraph_mode)
    para_scores = para_direct if paragraph_mode == "direct" else para_aggregate
    para_pred = direct.pred if paragraph_mode == "direct" else r.para_pred

    sentence_scores = scores(S.y, r.pred)
    keyword_sentence = scores(S.y, keyword_predictions(S))
    keyword_paragraph = scores(P.y, keyword_predictions(P))

    fasttext = None
    if args.fasttext_python:
        subprocess.run([args.fasttext_python, str(ROOT / "baselines" / "fasttext_baseline.py"),
                        "--corpus", args.corpus, "--folds", str(out / "folds.json"),
                        "--out", str(out / "fasttext_metrics.json")], check=True)
    ft_path = out / "fasttext_metrics.json"
    if ft_path.exists():
        ft = json.loads(ft_path.read_text(encoding="utf-8"))
        if ft.get("corpus_hash") == data_hash and ft.get("folds_hash") == folds_hash:
            fasttext = ft
        else:
            logger.warning("%s is for another corpus or folds; rerun with --fasttext-python",
                           ft_path)

    curve = [] if args.no_learning_curve else _learning_curve(best, S, P, folds)

    # The shipped thresholds: tuned on the outer out-of-fold scores of the whole corpus.
    thresholds = best_thresholds(S.y, r.proba)
    if paragraph_mode == "direct":
        paragraph_thresholds = best_thresholds(P.y, direct.proba)
    else:
        paragraph_thresholds = best_thresholds(P.y, rollup(r.proba, S.paragraph_of)[1])
    metadata = {"corpus_hash": data_hash, "config": best.name, "trained_on": {
        "articles": stats["articles"], "sentences": stats["sentences"],
        "paragraphs": stats["paragraphs"]}}
    model = fit_model(best, S, thresholds=thresholds, paragraph_thresholds=paragraph_thresholds,
                      paragraph_mode=paragraph_mode, paragraphs=P, metadata=metadata)
    artifact = save(model, out)
    seconds = round(time.perf_counter() - started, 1)

    metrics = {
        "corpus_hash": data_hash,
        "folds_hash": folds_hash,
        "evaluation": f"{args.folds}-fold grouped cross-validation by article (articles from one "
                      "source share a fold); thresholds tuned per outer fold on inner grouped "
                      "out-of-fold predictions",
        "corpus": stats,
        "shipped": {"config": best.name, "paragraph_mode": paragraph_mode,
                    "thresholds": dict(zip(THEMES, thresholds.round(2).tolist())),
                    "paragraph_thresholds": dict(zip(THEMES, paragraph_thresholds.round(2).tolist()))},
        "sentence": sentence_scores,
        "paragraph": para_scores,
        "sentence_fold_spread": _fold_spread(S.y, r.pred, r.fold_of),
        "paragraph_fold_spread": _fold_spread(P.y, para_pred,
                                              direct.fold_of if paragraph_mode == "direct"
                                              else r.para_fold_of),
        "calibration_sentence_oof": calibration(S.y, r.proba),
        "baselines": {"keyword": {"sentence": keyword_sentence, "paragraph": keyword_paragraph},
                      "fasttext": ({"sentence": fasttext["sentence"],
                                    "paragraph": fasttext["paragraph"],
                                    "params": fasttext["params"]} if fasttext else None)},
        "experiments": experiments,
        "selection_tolerance": TOLERANCE,
        "paragraph_experiment": {"aggregate_from_sentences": para_aggregate, "direct": para_direct},
        "learning_curve": curve,
        "versions": versions(),
        "training_seconds": seconds,
        "artifact_bytes": artifact.stat().st_size,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(metrics), encoding="utf-8")
    print(json.dumps({"sentence_macro_f1": sentence_scores["macro_f1"],
                      "paragraph_macro_f1": para_scores["macro_f1"],
                      "keyword_sentence_macro_f1": keyword_sentence["macro_f1"],
                      "fasttext_sentence_macro_f1": fasttext["sentence"]["macro_f1"]
                      if fasttext else None, "seconds": seconds}))
    return 0


AGREEMENT = ROOT / "seeds" / "agreement" / "double_annotation.jsonl"


def agreement_figures(path: Path = AGREEMENT) -> dict:
    """Cohen's kappa and F1 between the two independent labelling passes, per theme."""
    from sklearn.metrics import cohen_kappa_score, f1_score

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    out = {"sentences": len(rows),
           "identical_label_sets": sum(r["first_pass"] == r["second_pass"] for r in rows),
           "themes": {}}
    for theme in THEMES:
        a = [theme in r["first_pass"] for r in rows]
        b = [theme in r["second_pass"] for r in rows]
        out["themes"][theme] = {"kappa": round(float(cohen_kappa_score(a, b)), 3),
                                "f1": round(float(f1_score(a, b)), 3),
                                "first_pass": sum(a), "second_pass": sum(b)}
    disputed = [r for r in rows if r["first_pass"] != r["second_pass"]]
    out["disagreements"] = len(disputed)
    out["resolved_to_first"] = sum(r["resolved"] == r["first_pass"] for r in disputed)
    out["resolved_to_second"] = sum(r["resolved"] == r["second_pass"] for r in disputed)
    return out


def data_card(articles: list[dict], stats: dict) -> str:
    """The corpus's data card: provenance, counts, agreement and known gaps."""
    def counts(d):
        return ", ".join(f"{k} {v}" for k, v in d.items())

    ag = agreement_figures()
    ag_rows = "\n".join(f"| {t} | {v['kappa']:.3f} | {v['f1']:.3f} | {v['first_pass']} | "
                         f"{v['second_pass']} |" for t, v in ag["themes"].items())
    prov = "\n".join(
        f"| {a['id']} | {a['origin']} | {a['genre']} | {a['place']['province']} | {a['date']} | "
        f"{a['script']} | {a.get('source_url') or a.get('source_file')} |"
        for a in sorted(articles, key=lambda a: a["id"]))
    return f"""# Data card: the renovml corpus

*Counts and agreement figures below are written by `python train.py --data-card` from the
corpus itself; `python train.py --stats` prints the counts as JSON.*

## What it is
`seeds/*.txt` are five real article pages as scraped, kept byte for byte. `seeds/corpus/`
holds the annotated corpus in the annotation format (README, *Training on your own data*):
`seeds.jsonl` labels every paragraph and sentence of the five seeds exactly as
`renovml.sections` splits their cleaned text; `written_*.jsonl` are articles written for
this project. Labels follow `ANNOTATION.md`.

Each written article is based on one real public article on the topic, named by its
`source_url` (and `source_title`), and restates it in the project's own words: facts,
figures, places, people and programme names carry over, sentences do not. Each keeps its
source's genre and its mix of on-theme and off-theme text (bylines, attendee lists,
slogans). Every source was checked against the list of articles held out for independent
evaluation (`renovml.corpus.is_reserved`), and the validator checks it again.

## Counts
- articles: {stats['articles']} ({counts(stats['articles_per_origin'])})
- paragraphs: {stats['paragraphs']}; sentences: {stats['sentences']}
- sentences per theme: {counts(stats['sentences_per_theme'])}
- paragraphs per theme: {counts(stats['paragraphs_per_theme'])}
- sentences with no theme: {stats['no_theme_share']:.1%}; with two or more: {stats['multi_theme_share']:.1%}
- genres: {counts(stats['articles_per_genre'])}
- provinces ({len(stats['articles_per_province'])}): {counts(stats['articles_per_province'])}
- years: {counts(stats['articles_per_year'])}
- script: {counts(stats['articles_per_script'])}

## Agreement
{ag['sentences']} sentences, drawn at random from the whole corpus, were labelled a second
time in a separate pass that did not see the first labels. Agreement between the passes:

| theme | Cohen's kappa | F1 between passes | first pass | second pass |
|---|---|---|---|---|
{ag_rows}

{ag['identical_label_sets']} of {ag['sentences']} sentences got identical label sets. The
{ag['disagreements']} disagreements were settled by an adjudicator against the rules of
`ANNOTATION.md` ({ag['resolved_to_first']} in favour of the first pass,
{ag['resolved_to_second']} of the second); the settled labels are the corpus labels, and
`seeds/agreement/double_annotation.jsonl` records both passes, the settled label and the
rule applied for each sentence. Governance is the least consistent theme: the line between
a mechanism and a slogan, and between a plan target and a bare tally, is the one the
annotators most often drew differently.

## Known gaps
- Genres are uneven: resident notices are rare ({stats['articles_per_genre'].get('resident_notice', 0)}
  articles), because most notices found were held out for evaluation.
- Provinces are uneven; Tibet is absent and several north-western and north-eastern
  provinces have a single article.
- The stored copies of many sources were excerpts. Where a source broke off, some
  written articles add genre-typical content (plan sections, closing requirements)
  that is not in the source; no quotation is attributed to a named person there.
- A few source titles were not visible and are descriptive; a few dates are estimated
  from the page (seed 002's year is inferred from its content).
- Several source URLs are reposts on mirror sites of the original news story.
- Written articles are cleaner than scraped pages; the seeds and the cleaning pipeline
  carry the noise of real pages.

## Provenance
| id | origin | genre | province | date | script | source |
|---|---|---|---|---|---|---|
{prov}
"""


def model_card(m: dict) -> str:
    ft = m["baselines"]["fasttext"]
    kw = m["baselines"]["keyword"]
    c = m["corpus"]
    sent_rows = [("renovml (shipped)", m["sentence"]), ("keyword lexicon rule", kw["sentence"])]
    para_rows = [("renovml (shipped)", m["paragraph"]), ("keyword lexicon rule", kw["paragraph"])]
    if ft:
        sent_rows.append(("fastText (ova)", ft["sentence"]))
        para_rows.append(("fastText (ova)", ft["paragraph"]))
    exp = "\n".join(f"| {e['config']} | {e['sentence']['macro_f1']:.3f} | "
                    f"{e['paragraph_from_sentences']['macro_f1']:.3f} | {e['seconds']} |"
                    for e in m["experiments"])
    pe = m["paragraph_experiment"]
    cal = "\n".join(f"| {t} | {v['brier']:.3f} | {v['ece']:.3f} |"
                    for t, v in m["calibration_sentence_oof"].items())
    curve = "\n".join(f"| {x['share_of_training_articles']:.0%} (~{x['approx_training_articles']}) "
                      f"| {x['sentence_macro_f1']:.3f} | {x['paragraph_macro_f1']:.3f} |"
                      for x in m["learning_curve"])
    curve += (f"\n| 100% | {m['sentence']['macro_f1']:.3f} | {m['paragraph']['macro_f1']:.3f} |"
              if m["learning_curve"] else "")
    v = m["versions"]
    return f"""# Model card: renovml theme classifier

*Written by `train.py`; every figure below is computed, none is edited by hand.*

## What it does
Tags a section (sentence or paragraph) of a Chinese report on old-neighbourhood
renovation and urban renewal with zero or more of four themes: {", ".join(THEMES)}.
Definitions: `ANNOTATION.md`.

## Shipped configuration
- features: **{m['shipped']['config']}** (TF-IDF, one logistic regression per theme)
- paragraphs: **{m['shipped']['paragraph_mode']}**
- sentence thresholds: {m['shipped']['thresholds']}
- paragraph thresholds: {m['shipped']['paragraph_thresholds']}

## Evaluation
{m['evaluation']}. Corpus: {c['articles']} articles, {c['paragraphs']} paragraphs,
{c['sentences']} sentences (corpus hash `{m['corpus_hash'][:16]}`).
Each cell is precision / recall / F1, pooled over the held-out folds.

### Sentence level
{_table(sent_rows)}

Per-fold macro-F1: mean {m['sentence_fold_spread']['mean']:.3f}, sd {m['sentence_fold_spread']['std']:.3f}.

### Paragraph level
{_table(para_rows)}

Per-fold macro-F1: mean {m['paragraph_fold_spread']['mean']:.3f}, sd {m['paragraph_fold_spread']['std']:.3f}.

{"fastText: supervised, one-vs-all loss, same folds and thresholding, computed by `baselines/fasttext_baseline.py`." if ft else "fastText baseline: not computed for this corpus and these folds (run `train.py --fasttext-python ...`)."}

### Experiments (same folds; cheapest first; the first within {m['selection_tolerance']} of the best sentence macro-F1 is shipped)
| features | sentence macro-F1 | paragraph macro-F1 (rolled up) | seconds |
|---|---|---|---|
{exp}

Paragraphs scored by rolling up sentence scores (max): macro-F1 {pe['aggregate_from_sentences']['macro_f1']:.3f};
by a model trained on paragraphs directly: {pe['direct']['macro_f1']:.3f}.
Choosing among these candidates on the same folds favours the winner slightly; the
differences are reported as measured.

### Calibration (sentence, out-of-fold)
| theme | Brier | ECE (10 bins) |
|---|---|---|
{cal}

### Learning curve (share of each training fold's articles kept)
| training articles | sentence macro-F1 | paragraph macro-F1 |
|---|---|---|
{curve}

## Limits
- Trained on {c['articles']} articles: {c['articles_per_origin']} by origin. Written articles
  restate real reports in the project's own words; see `seeds/README.md`.
- Articles from the same province, genre and year share vocabulary; figures from grouped CV
  on this corpus may overstate quality on very different reporting.

## Environment
{", ".join(f"{k} {val}" for k, val in v.items())}. Training took {m['training_seconds']} s;
artifact {m['artifact_bytes'] / 1e6:.1f} MB.
"""


if __name__ == "__main__":
    sys.exit(main())
