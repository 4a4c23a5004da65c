"""Re-tuning a model's thresholds on a user's labels, without retraining.

A stricter (or looser) reading of a theme than the corpus's shows up as the user's
labels leaving out (or adding) sections the model scores highly. The classifier's
scores stay as they are; each theme's threshold moves to where the user's labels are
best matched (F1 over the same grid ``train.py`` tunes on; among equally good
thresholds, the one nearest the model's), for sentences and for paragraphs.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np

from renovml.themes import THEMES

__all__ = ["tune"]


def tune(model, corpus, *, min_positives: int = 5) -> tuple[object, dict]:
    """A copy of ``model`` with thresholds tuned on ``corpus``, and a report.

    Parameters
    ----------
    model : ThemeModel
    corpus : path, list of paths, or list of records
        Labelled articles in any form :func:`renovml.read_corpus` accepts (minimal
        records included); unlabelled sentences are ignored.
    min_positives : int
        A theme with fewer labelled positives than this keeps its threshold (too
        little evidence to move it); the report says so.

    Returns
    -------
    model : ThemeModel
        The tuned copy (the original is unchanged).
    report : dict
        Per unit and theme: the old and new threshold, and F1 on ``corpus`` with each
        (measured on the labels the thresholds were tuned on: an optimistic figure).
    """
    from renovml.training.cv import paragraph_rollup, units_of
    from renovml.training.metrics import best_thresholds, scores
    from renovml.training.trainer import load_corpus

    articles, digest = load_corpus(corpus, check_reserved=False)
    S, P = units_of(articles, "sentence"), units_of(articles, "paragraph")
    if not len(S.inputs):
        raise ValueError("the corpus has no labelled sentence to tune on")
    sentence_proba = model.scorer.predict_proba(S.inputs)
    if model.paragraph_mode == "direct":
        paragraph_proba = model.paragraph_scorer.predict_proba(P.inputs) if len(P.inputs) else (
            np.zeros((0, len(THEMES))))
    else:
        paragraph_proba = paragraph_rollup(sentence_proba, S.paragraph_of)[1]
    tuned = copy.copy(model)
    report = {"corpus_hash": digest, "articles": len(articles), "units": {}}
    for unit, y, proba, attr in (("sentence", S.y, sentence_proba, "thresholds"),
                                 ("paragraph", P.y, paragraph_proba, "paragraph_thresholds")):
        old = np.asarray(getattr(model, attr), dtype=float)
        if not len(y):
            report["units"][unit] = {"sections": 0, "kept": "no labelled section"}
            continue
        best = best_thresholds(y, proba, prefer=old)
        enough = y.sum(axis=0) >= min_positives
        new = np.where(enough, best, old)
        setattr(tuned, attr, new)
        before = scores(y, (proba >= old).astype(np.int8))
        after = scores(y, (proba >= new).astype(np.int8))
        report["units"][unit] = {
            "sections": int(len(y)),
            "themes": {t: {"positives": int(y[:, k].sum()), "old": round(float(old[k]), 2),
                           "new": round(float(new[k]), 2), "moved": bool(enough[k]),
                           "f1_old": before[t]["f1"], "f1_new": after[t]["f1"]}
                       for k, t in enumerate(THEMES)},
            "macro_f1_old": before["macro_f1"], "macro_f1_new": after["macro_f1"]}
    tuned.metadata = {**model.metadata, "tuned_on": {"corpus_hash": digest,
                                                     "articles": len(articles)}}
    return tuned, report


def save_tuned(model, report: dict, directory: str | os.PathLike) -> Path:
    """Write a tuned model (artifact and manifest) and ``tuning.json`` to ``directory``."""
    from renovml.model.artifact import save

    directory = Path(directory)
    artifact = save(model, directory)
    (directory / "tuning.json").write_text(json.dumps(report, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    return artifact
