"""Scoring theme predictions: per-theme precision/recall/F1, thresholds, calibration."""

from __future__ import annotations

import numpy as np

from renovml.model.estimator import label_matrix
from renovml.themes import THEMES

__all__ = ["best_thresholds", "calibration", "hard_case_scores", "label_matrix", "scores"]


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Per-theme precision, recall, F1 and support, and the macro-F1."""
    out = {}
    for k, theme in enumerate(THEMES):
        t, p = y_true[:, k].astype(bool), y_pred[:, k].astype(bool)
        tp = int((t & p).sum())
        precision = tp / p.sum() if p.sum() else 0.0
        recall = tp / t.sum() if t.sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[theme] = {"precision": round(float(precision), 4), "recall": round(float(recall), 4),
                      "f1": round(float(f1), 4), "support": int(t.sum())}
    out["macro_f1"] = round(float(np.mean([out[t]["f1"] for t in THEMES])), 4)
    return out


_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def best_thresholds(y_true: np.ndarray, proba: np.ndarray, prefer=None) -> np.ndarray:
    """For each theme, the threshold on the grid 0.05..0.95 that maximises F1.

    Ties go to the threshold closest to 0.5 (or, with ``prefer``, to each theme's
    preferred value: re-tuning moves a threshold only as far as the labels ask), so the
    choice is stable.
    """
    chosen = []
    for k in range(y_true.shape[1]):
        t = y_true[:, k].astype(bool)
        centre = 0.5 if prefer is None else float(prefer[k])
        best, best_f1 = centre, -1.0
        for th in sorted(_GRID, key=lambda g: (abs(g - centre), g)):
            p = proba[:, k] >= th
            tp = (t & p).sum()
            denom = p.sum() + t.sum()
            f1 = 2 * tp / denom if denom else 0.0
            if f1 > best_f1 + 1e-12:
                best, best_f1 = float(th), f1
        chosen.append(best)
    return np.array(chosen)


def calibration(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict:
    """Brier score and expected calibration error (equal-width bins) per theme."""
    out = {}
    edges = np.linspace(0, 1, bins + 1)
    for k, theme in enumerate(THEMES):
        t, p = y_true[:, k].astype(float), proba[:, k]
        which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        ece = 0.0
        for b in range(bins):
            mask = which == b
            if mask.any():
                ece += mask.mean() * abs(p[mask].mean() - t[mask].mean())
        out[theme] = {"brier": round(float(np.mean((p - t) ** 2)), 4), "ece": round(float(ece), 4)}
    return out


def hard_case_scores(y_true: np.ndarray, y_pred: np.ndarray, patterns: np.ndarray) -> dict:
    """Scores on the hard-case slice: the sentences tagged with an ANNOTATION.md pattern.

    Returns the slice's per-theme scores and macro-F1 (as :func:`scores`), and per
    pattern its sentence count, the share predicted exactly right (all four themes),
    and the themes most often wrong (false positives and false negatives).
    """
    patterns = np.asarray(patterns, dtype=object)
    tagged = patterns != ""
    out = {"sentences": int(tagged.sum()), "slice": scores(y_true[tagged], y_pred[tagged])
           if tagged.any() else None, "patterns": {}}
    for pattern in sorted(set(patterns[tagged].tolist())):
        mask = patterns == pattern
        t, p = y_true[mask].astype(bool), y_pred[mask].astype(bool)
        out["patterns"][pattern] = {
            "sentences": int(mask.sum()),
            "exact": round(float((t == p).all(axis=1).mean()), 4),
            "false_positives": {th: int((p[:, k] & ~t[:, k]).sum()) for k, th in enumerate(THEMES)
                                if (p[:, k] & ~t[:, k]).any()},
            "false_negatives": {th: int((t[:, k] & ~p[:, k]).sum()) for k, th in enumerate(THEMES)
                                if (t[:, k] & ~p[:, k]).any()},
        }
    return out
