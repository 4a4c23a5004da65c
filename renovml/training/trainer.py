"""Training from Python: corpus -> grouped evaluation -> fitted model -> cards.

:func:`train` is what ``train.py`` runs: it validates a corpus, compares the
candidate configurations under nested grouped cross-validation, fits the chosen
one on everything and returns it with its metrics and model card;
:meth:`TrainingResult.save` writes them. :func:`evaluate` scores a model on a
labelled corpus.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from renovml.model.artifact import save as save_artifact
from renovml.model.artifact import versions
from renovml.model.theme_model import ThemeModel
from renovml.model.tokens import token_cache
from renovml.themes import THEMES
from renovml.training.cards import model_card
from renovml.training.corpus import (
    corpus_hash,
    corpus_stats,
    normalize_record,
    read_corpus,
    validate_corpus,
)
from renovml.training.cv import (
    Config,
    cross_validate,
    evaluate_split,
    fit_model,
    keyword_predictions,
    make_folds,
    paragraph_rollup,
    subset_units,
    units_of,
)
from renovml.training.metrics import best_thresholds, calibration, hard_case_scores, scores

__all__ = ["CANDIDATES", "EXPERIMENTS", "TOLERANCE", "TrainingResult", "evaluate", "load_corpus", "train"]

logger = logging.getLogger(__name__)

#: Candidate configurations, cheapest to predict first. The first whose sentence-level
#: macro-F1 under grouped CV is within :data:`TOLERANCE` of the best is shipped: a
#: costlier model must earn its cost by more than noise (the per-fold sd is several
#: times this).
CANDIDATES: tuple[Config, ...] = (
    Config("jieba words", chars=False, lexicon=False),
    Config("char 1-3-grams", words=False, lexicon=False),
    Config("words + chars + lexicon"),
    Config("words + chars + lexicon, balanced class weights", class_weight="balanced"),
    Config("words + chars + lexicon + heading", context_weight=0.3, neighbours=False),
    Config("words + chars + lexicon + heading + neighbours", context_weight=0.3),
    Config("words + chars + lexicon + paragraph", paragraph_weight=0.3),
    Config("words + chars + lexicon + headline", title_weight=0.3),
)
#: Experiments scored on the same folds and reported beside the candidates, but not
#: shippable: the shipped scorer computes one logistic regression per theme over words
#: with bigrams and character n-grams up to 3 (see Config.shippable).
EXPERIMENTS: tuple[Config, ...] = (
    Config("words (no bigrams) + chars + lexicon", word_bigrams=False),
    Config("words + char 1-4-grams + lexicon", char_range=(1, 4)),
    Config("words + chars + lexicon, linear SVM + sigmoid calibration", C=0.5, model="svm"),
    Config("words + chars + lexicon, classifier chain", model="chain"),
)
TOLERANCE = 0.005

_FASTTEXT_SCRIPT = Path(__file__).resolve().parents[2] / "baselines" / "fasttext_baseline.py"


def load_corpus(corpus, *, check_reserved: bool = True) -> tuple[list[dict], str]:
    """Read and validate a corpus given as a path, a list of paths, or a list of records.

    Returns the articles and a SHA-256 of the corpus (of the files' names and
    bytes for paths, of the records' JSON otherwise). ``check_reserved`` refuses
    sources held out for independent evaluation (right for training, not for
    evaluating).

    Raises
    ------
    CorpusError
        If a file cannot be read or the corpus breaks the annotation format.
    """
    is_list = isinstance(corpus, (list, tuple))
    if isinstance(corpus, (str, os.PathLike)):
        articles, digest = read_corpus(corpus), corpus_hash(corpus)
    elif is_list and corpus and all(isinstance(x, dict) for x in corpus):
        articles = [dict(normalize_record(a, f"record-{i}"), _file="<records>", _line=i)
                    for i, a in enumerate(corpus, 1)]
        clean = [{k: v for k, v in a.items() if not k.startswith("_")} for a in corpus]
        digest = hashlib.sha256(json.dumps(clean, sort_keys=True, ensure_ascii=False)
                                .encode()).hexdigest()
    elif is_list and corpus and all(isinstance(x, (str, os.PathLike)) for x in corpus):
        articles, parts = [], []
        for path in corpus:
            read = read_corpus(path)
            for article in read:
                article["_part"] = str(path)
            articles += read
            parts.append(corpus_hash(path))
        digest = parts[0] if len(parts) == 1 else hashlib.sha256(
            "\n".join(parts).encode()).hexdigest()
    else:
        raise TypeError("corpus must be a path, a non-empty list of paths, or a non-empty "
                        f"list of article records, got {type(corpus).__name__}")
    validate_corpus(articles, check_reserved=check_reserved)
    return articles, digest


@dataclass
class TrainingResult:
    """What :func:`train` returns: the fitted model, its figures and its card."""

    model: ThemeModel
    metrics: dict
    folds: dict[str, int]
    model_card: str
    fasttext_metrics: dict | None = None

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the artifact, ``manifest.json``, ``MODEL_CARD.md``, ``metrics.json`` and
        ``folds.json`` (and the fastText baseline's figures, if computed) to
        ``directory``; return the artifact's path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _write_json(directory / "folds.json", _folds_record(self.metrics, self.folds), indent=1,
                    sort_keys=True)
        if self.fasttext_metrics is not None:
            _write_json(directory / "fasttext_metrics.json", self.fasttext_metrics, indent=2)
        artifact = save_artifact(self.model, directory)
        _write_json(directory / "metrics.json", self.metrics, indent=2)
        (directory / "MODEL_CARD.md").write_text(self.model_card, encoding="utf-8")
        return artifact


def _write_json(path: Path, data: dict, *, indent: int, sort_keys: bool = False) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=sort_keys) + "\n"
    path.write_text(text, encoding="utf-8")


def _folds_record(metrics: dict, folds: dict[str, int]) -> dict:
    return {"corpus_hash": metrics["corpus_hash"], "folds_hash": metrics["folds_hash"],
            "folds": folds}


def _fold_spread(y, pred, fold_of) -> dict:
    per_fold = [scores(y[fold_of == k], pred[fold_of == k])["macro_f1"]
                for k in np.unique(fold_of)]
    return {"per_fold_macro_f1": per_fold, "mean": round(float(np.mean(per_fold)), 4),
            "std": round(float(np.std(per_fold)), 4)}


def _part_scores(articles, S, P, pred, para_pred) -> list[dict]:
    """Out-of-fold scores on each corpus part (each path of a list of corpora): a user's
    own labels beside the shipped corpus. Empty for a single corpus."""
    part_of = {a["id"]: a.get("_part") for a in articles}
    names = list(dict.fromkeys(part_of.values()))
    if len(names) < 2:
        return []
    out = []
    for name in names:
        s_rows = np.array([part_of[g] == name for g in S.groups.tolist()], dtype=bool)
        p_rows = np.array([part_of[g] == name for g in P.groups.tolist()], dtype=bool)
        out.append({"corpus": name, "articles": sum(v == name for v in part_of.values()),
                    "sentences": int(s_rows.sum()),
                    "sentence": scores(S.y[s_rows], pred[s_rows]) if s_rows.any() else None,
                    "paragraph": scores(P.y[p_rows], para_pred[p_rows]) if p_rows.any()
                    else None})
    return out


def _learning_curve(config, S, P, folds, random_state: int) -> list[dict]:
    """Macro-F1 on every outer fold when its training side keeps only a share of its
    articles (the same random order of articles for every share)."""
    articles = sorted(set(S.groups.tolist()))
    rank = dict(zip(articles, np.random.RandomState(random_state).permutation(len(articles))))
    fold_of = np.array([folds[g] for g in S.groups])
    kept_rank = np.array([rank[g] for g in S.groups]) / len(articles)
    out = []
    with token_cache():
        for share in (0.25, 0.5, 0.75):
            pred = np.zeros(S.y.shape, dtype=np.int8)
            para_pred = np.zeros(P.y.shape, dtype=np.int8)
            n_train = []
            try:
                for k in np.unique(fold_of):
                    test = fold_of == k
                    train = subset_units(S, ~test & (kept_rank < share))
                    n_train.append(len(set(train.groups.tolist())))
                    fold = evaluate_split(config, train, subset_units(S, test), paragraph_y=P.y)
                    pred[test] = fold.pred
                    para_pred[fold.para_ids] = fold.para_pred
            except ValueError as exc:  # too few articles at this share to fit and tune
                logger.warning("learning curve: share %.2f skipped (%s)", share, exc)
                continue
            out.append({"share_of_training_articles": share,
                        "approx_training_articles": int(np.mean(n_train)),
                        "sentence_macro_f1": scores(S.y, pred)["macro_f1"],
                        "paragraph_macro_f1": scores(P.y, para_pred)["macro_f1"]})
            logger.info("learning curve %.2f: %s", share, out[-1])
    return out


def _fasttext(python: str, corpus, folds_record: dict, reuse: str | os.PathLike | None,
              data_hash: str) -> dict | None:
    """The fastText baseline's figures: run in its own environment (``python``), or reused
    from a file computed for the same corpus and folds."""
    if python:
        if not isinstance(corpus, (str, os.PathLike)):
            raise ValueError("the fastText baseline reads the corpus from a path; pass the "
                             "corpus as a path to run it")
        if not _FASTTEXT_SCRIPT.is_file():
            raise FileNotFoundError(f"{_FASTTEXT_SCRIPT}: the fastText baseline script is part "
                                    "of a source checkout; run training from one")
        with tempfile.TemporaryDirectory() as tmp:
            folds_path, out_path = Path(tmp) / "folds.json", Path(tmp) / "fasttext.json"
            _write_json(folds_path, folds_record, indent=1, sort_keys=True)
            subprocess.run([python, str(_FASTTEXT_SCRIPT), "--corpus", str(corpus),
                            "--folds", str(folds_path), "--out", str(out_path)], check=True)
            return json.loads(out_path.read_text(encoding="utf-8"))
    if reuse and Path(reuse).exists():
        found = json.loads(Path(reuse).read_text(encoding="utf-8"))
        if (found.get("corpus_hash") == data_hash
                and found.get("folds_hash") == folds_record["folds_hash"]):
            return found
        logger.warning("%s is for another corpus or folds; not reported (rerun the baseline)",
                       reuse)
    return None


def train(corpus, *, folds: int = 5, candidates: Sequence[Config] | None = None,
          experiments: Sequence[Config] | None = None,
          random_state: int = 0, learning_curve: bool = True,
          fasttext_python: str | None = None,
          fasttext_metrics: str | os.PathLike | None = None) -> TrainingResult:
    """Evaluate, choose and fit the theme classifier on an annotated corpus.

    Parameters
    ----------
    corpus : path, list of paths, or list of article records
        In the annotation format (README, *Training on your own data*).
    folds : int
        Outer folds of the grouped cross-validation (articles from one source
        share a fold); thresholds are tuned on inner grouped out-of-fold scores.
    candidates : sequence of Config, optional
        The configurations to compare, cheapest first (default :data:`CANDIDATES`).
        The first shippable one within :data:`TOLERANCE` of the best shippable
        sentence macro-F1 is fitted.
    experiments : sequence of Config, optional
        Further configurations scored on the same folds and reported, never shipped
        (default :data:`EXPERIMENTS` when ``candidates`` is not given, else none).
    random_state : int
        Seed of the classifiers and of the learning curve's article order.
    learning_curve : bool
        Also score the chosen configuration on 25/50/75% of each training fold.
    fasttext_python : str, optional
        Interpreter of an environment with ``fasttext-wheel``: runs the fastText
        baseline on the same folds (the corpus must be a path).
    fasttext_metrics : path, optional
        A fastText baseline result to report if it was computed for this corpus and
        these folds.

    Returns
    -------
    TrainingResult

    Raises
    ------
    CorpusError
        If the corpus breaks the annotation format.
    ValueError
        If the corpus has fewer sources than ``folds``.
    """
    started = time.perf_counter()
    if experiments is None:
        experiments = EXPERIMENTS if candidates is None else ()
    candidates = tuple(CANDIDATES if candidates is None else candidates)
    if not any(c.shippable for c in candidates):
        raise ValueError("train() needs at least one shippable candidate configuration")
    candidates = tuple(dataclasses.replace(c, random_state=random_state) for c in candidates)
    experiments = tuple(dataclasses.replace(c, random_state=random_state) for c in experiments)
    articles, data_hash = load_corpus(corpus)
    stats = corpus_stats(articles)
    try:
        fold_of_article = make_folds(articles, folds)
    except ValueError as exc:
        raise ValueError(f"cannot split {len(articles)} articles into {folds} grouped folds: "
                         f"{exc}") from None
    folds_hash = hashlib.sha256(json.dumps(fold_of_article, sort_keys=True).encode()).hexdigest()
    folds_record = {"corpus_hash": data_hash, "folds_hash": folds_hash, "folds": fold_of_article}

    S, P = units_of(articles, "sentence"), units_of(articles, "paragraph")
    scored, results = [], {}
    for config in candidates + experiments:
        t0 = time.perf_counter()
        r = cross_validate(config, S, fold_of_article, paragraph_y=P.y)
        results[config.name] = r
        scored.append({"config": config.name, "shippable": config.shippable,
                       "sentence": scores(S.y, r.pred),
                       "paragraph_from_sentences": scores(P.y, r.para_pred),
                       "hard_case_macro_f1": hard_case_scores(
                           S.y, r.pred, S.hard_case)["slice"]["macro_f1"]
                       if (S.hard_case != "").any() else None,
                       "seconds": round(time.perf_counter() - t0, 1)})
        logger.info("%-36s sentence macro-F1 %.4f  paragraph %.4f", config.name,
                    scored[-1]["sentence"]["macro_f1"],
                    scored[-1]["paragraph_from_sentences"]["macro_f1"])
    experiments = scored
    shippable = [(c, e) for c, e in zip(candidates, scored) if c.shippable]
    top = max(e["sentence"]["macro_f1"] for _, e in shippable)
    best = next(c for c, e in shippable if e["sentence"]["macro_f1"] >= top - TOLERANCE)
    r = results[best.name]

    # Paragraphs: roll the sentence model up, or fit a model on paragraphs directly.
    direct = cross_validate(best, P, fold_of_article)
    para_aggregate = scores(P.y, r.para_pred)
    para_direct = scores(P.y, direct.pred)
    paragraph_mode = ("direct" if para_direct["macro_f1"] > para_aggregate["macro_f1"]
                      else "aggregate")
    logger.info("paragraphs: aggregate %.4f, direct %.4f -> %s", para_aggregate["macro_f1"],
                para_direct["macro_f1"], paragraph_mode)
    para_scores = para_direct if paragraph_mode == "direct" else para_aggregate
    para_pred = direct.pred if paragraph_mode == "direct" else r.para_pred

    sentence_scores = scores(S.y, r.pred)
    keyword_pred = keyword_predictions(S)
    keyword_sentence = scores(S.y, keyword_pred)
    keyword_paragraph = scores(P.y, keyword_predictions(P))
    fasttext = _fasttext(fasttext_python, corpus, folds_record, fasttext_metrics, data_hash)
    curve = (_learning_curve(best, S, P, fold_of_article, random_state) if learning_curve
             else [])

    # The shipped thresholds: tuned on the outer out-of-fold scores of the whole corpus.
    thresholds = best_thresholds(S.y, r.proba)
    if paragraph_mode == "direct":
        paragraph_thresholds = best_thresholds(P.y, direct.proba)
    else:
        paragraph_thresholds = best_thresholds(P.y, paragraph_rollup(r.proba, S.paragraph_of)[1])
    metadata = {"corpus_hash": data_hash, "config": best.name, "trained_on": {
        "articles": stats["articles"], "sentences": stats["sentences"],
        "paragraphs": stats["paragraphs"]}}
    model = fit_model(best, S, thresholds=thresholds, paragraph_thresholds=paragraph_thresholds,
                      paragraph_mode=paragraph_mode, paragraphs=P, metadata=metadata)
    with tempfile.TemporaryDirectory() as tmp:  # the card reports the artifact's size
        artifact_bytes = save_artifact(model, tmp).stat().st_size

    metrics = {
        "corpus_hash": data_hash,
        "folds_hash": folds_hash,
        "evaluation": f"{folds}-fold cross-validation grouped by source page (articles "
                      "from one page, seeds included, share a fold); thresholds tuned per "
                      "outer fold on out-of-fold predictions of an inner split grouped the "
                      "same way",
        "corpus": stats,
        "shipped": {"config": best.name, "paragraph_mode": paragraph_mode,
                    "thresholds": dict(zip(THEMES, thresholds.round(2).tolist())),
                    "paragraph_thresholds": dict(zip(THEMES,
                                                     paragraph_thresholds.round(2).tolist()))},
        "sentence": sentence_scores,
        "paragraph": para_scores,
        "sentence_fold_spread": _fold_spread(S.y, r.pred, r.fold_of),
        "paragraph_fold_spread": _fold_spread(P.y, para_pred,
                                              direct.fold_of if paragraph_mode == "direct"
                                              else r.para_fold_of),
        "calibration_sentence_oof": calibration(S.y, r.proba),
        "parts": _part_scores(articles, S, P, r.pred, para_pred),
        "hard_cases": {"renovml": hard_case_scores(S.y, r.pred, S.hard_case),
                       "keyword": hard_case_scores(S.y, keyword_pred, S.hard_case)},
        "baselines": {"keyword": {"sentence": keyword_sentence, "paragraph": keyword_paragraph},
                      "fasttext": ({"sentence": fasttext["sentence"],
                                    "paragraph": fasttext["paragraph"],
                                    "params": fasttext["params"]} if fasttext else None)},
        "experiments": experiments,
        "selection_tolerance": TOLERANCE,
        "paragraph_experiment": {"aggregate_from_sentences": para_aggregate,
                                 "direct": para_direct},
        "learning_curve": curve,
        "versions": versions(),
        "training_seconds": round(time.perf_counter() - started, 1),
        "artifact_bytes": artifact_bytes,
    }
    return TrainingResult(model=model, metrics=metrics, folds=fold_of_article,
                          model_card=model_card(metrics),
                          fasttext_metrics=fasttext if fasttext_python else None)


def evaluate(model: ThemeModel, corpus) -> dict:
    """Score a model on a labelled corpus with the model's own thresholds.

    Parameters
    ----------
    model : ThemeModel
    corpus : path, list of paths, or list of article records
        In the annotation format. Sources reserved for independent evaluation
        are allowed here (they are what it is for).

    Returns
    -------
    dict
        ``articles``, and for ``sentence`` and ``paragraph`` the per-theme
        precision, recall, F1 and support and the ``macro_f1``.
    """
    articles, _ = load_corpus(corpus, check_reserved=False)
    S, P = units_of(articles, "sentence"), units_of(articles, "paragraph")
    sentence_proba = model.scorer.predict_proba(S.inputs)
    if model.paragraph_mode == "direct":
        paragraph_proba = model.paragraph_scorer.predict_proba(P.inputs)
    else:
        paragraph_proba = paragraph_rollup(sentence_proba, S.paragraph_of)[1]
    return {
        "articles": len(articles), "paragraphs": len(P.inputs), "sentences": len(S.inputs),
        "sentence": scores(S.y, (sentence_proba >= model.thresholds).astype(np.int8)),
        "paragraph": scores(P.y, (paragraph_proba >= model.paragraph_thresholds).astype(np.int8)),
    }
