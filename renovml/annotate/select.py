"""Choosing what to label: the sentences the model is least sure of, spread out.

:func:`select` reads unlabelled inputs (anything ``renovml predict`` reads), scores
every sentence, and picks the ``n`` sentences whose scores lie closest to the
model's tuned thresholds (the smallest margin, in log-odds, over the four themes),
with at most ``per_article`` from one article, round-robin over the theme each
sentence is least sure about, skipping near-duplicates of sentences already picked
and preferring sentences unlike them. It returns whole-article tasks with the picked
sentences marked: an annotator reads a sentence in its article.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from renovml.batch import _article_of, iter_tasks
from renovml.model.context import with_context
from renovml.themes import THEMES

__all__ = ["select"]

_NOT_WORD = re.compile(r"[\W\d_]+")


@dataclass
class _Candidate:
    task: int
    sentence: int
    margin: float
    theme: str
    shingles: frozenset
    tie: str


def _shingles(text: str) -> frozenset:
    core = _NOT_WORD.sub("", text)
    return frozenset(core[i:i + 3] for i in range(max(len(core) - 2, 1)))


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def select(paths: Iterable[str], n: int, *, model=None, per_article: int = 3,
           seed: int = 0, min_chars: int = 6, duplicate_jaccard: float = 0.8,
           similar_jaccard: float = 0.5, text_field: str = "text",
           id_field: str | None = None) -> tuple[list[dict], list[dict]]:
    """Pick ``n`` sentences to label from unlabelled inputs.

    Parameters
    ----------
    paths : iterable of str
        Files, directories, glob patterns, as for ``renovml predict``.
    n : int
        Sentences to pick (fewer if the inputs hold fewer eligible ones).
    model : ThemeModel, optional
        Default: the shipped model.
    per_article : int
        At most this many picks from one article.
    seed : int
        Breaks ties between equally uncertain sentences; the same inputs, model and seed
        give the same picks.
    min_chars : int
        Sentences with fewer word characters (bylines, list numbers) are not picked.
    duplicate_jaccard : float
        A sentence whose character-trigram overlap with a picked one reaches this is a
        near-duplicate and is skipped.
    similar_jaccard : float
        Sentences this close to a picked one are taken only when nothing else is left.

    Returns
    -------
    tasks : list of dict
        One per article with a pick, most uncertain first: ``id``, ``source``,
        ``metadata``, ``text`` (the clean text the offsets index), ``score`` (the
        largest uncertainty among its picks) and ``sentences`` (each with ``id``,
        ``paragraph``, ``start``, ``end``, ``text``, ``scores``, ``themes``,
        ``uncertainty`` and ``picked``).
    errors : list of dict
        One per input that could not be read (``article_id``, ``error``).
    """
    import renovml

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if per_article < 1:
        raise ValueError(f"per_article must be at least 1, got {per_article}")
    model = renovml.load() if model is None else model
    logit_th = _logit(model.thresholds)
    tasks, errors, candidates = [], [], []
    for task in iter_tasks(paths, text_field=text_field, id_field=id_field):
        try:
            article = _article_of(task)
        except Exception as exc:  # one bad input must not end the selection
            errors.append({"article_id": task.article_id, "error": str(exc)})
            continue
        sentences = article.sentences
        if not sentences:
            errors.append({"article_id": task.article_id, "error":
                           f"{task.article_id}: no body text after cleaning"})
            continue
        by_paragraph = [[] for _ in article.paragraphs]
        for s in sentences:
            by_paragraph[s.paragraph].append(s.text)
        proba = model.scorer.predict_proba(with_context(by_paragraph, "sentence", clean=True))
        margins = np.abs(_logit(proba) - logit_th)  # log-odds from each theme's threshold
        index = len(tasks)
        records = []
        for i, (s, row, margin) in enumerate(zip(sentences, proba, margins)):
            k = int(np.argmin(margin))
            uncertainty = math.exp(-float(margin[k]))
            records.append({"id": s.id, "paragraph": s.paragraph, "start": s.start,
                            "end": s.end, "text": s.text,
                            "scores": {t: round(float(v), 4) for t, v in zip(THEMES, row)},
                            "themes": [t for t, v, th in zip(THEMES, row, model.thresholds)
                                       if v >= th],
                            "uncertainty": round(uncertainty, 4), "picked": False})
            if len(_NOT_WORD.sub("", s.text)) >= min_chars:
                tie = hashlib.sha256(f"{seed}|{task.key}|{s.id}".encode()).hexdigest()
                candidates.append(_Candidate(index, i, float(margin[k]), THEMES[k],
                                             _shingles(s.text), tie))
        tasks.append({"id": task.article_id, "source": task.key, "metadata": article.metadata,
                      "text": article.text, "sentences": records})
    picked = _pick(candidates, n, per_article, duplicate_jaccard, similar_jaccard)
    for c in picked:
        tasks[c.task]["sentences"][c.sentence]["picked"] = True
    chosen = [t for t in tasks if any(s["picked"] for s in t["sentences"])]
    for t in chosen:
        t["score"] = max(s["uncertainty"] for s in t["sentences"] if s["picked"])
    chosen.sort(key=lambda t: (-t["score"], t["source"]))
    return chosen, errors


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _pick(candidates: list[_Candidate], n: int, per_article: int, duplicate: float,
          similar: float) -> list[_Candidate]:
    """Greedy: round-robin over the themes (the theme each sentence is least sure about),
    in each the most uncertain candidate that keeps the caps, is no near-duplicate, and
    (while any is left) is unlike what is already picked."""
    queues = {t: sorted((c for c in candidates if c.theme == t), key=lambda c: (c.margin, c.tie))
              for t in THEMES}
    picked: list[_Candidate] = []
    per_task: dict[int, int] = {}
    taken: set[tuple[int, int]] = set()
    for strict in (True, False):  # second pass: similar sentences allowed
        # A candidate passed over stays ineligible for the rest of a pass (caps fill and
        # the picked set only grows), so each queue is walked once per pass.
        position = dict.fromkeys(THEMES, 0)
        exhausted: set[str] = set()
        while len(picked) < n and len(exhausted) < len(THEMES):
            for theme in THEMES:
                if len(picked) >= n or theme in exhausted:
                    continue
                queue, found = queues[theme], None
                while position[theme] < len(queue):
                    c = queue[position[theme]]
                    position[theme] += 1
                    if (c.task, c.sentence) in taken or per_task.get(c.task, 0) >= per_article:
                        continue
                    closest = max((_jaccard(c.shingles, p.shingles) for p in picked),
                                  default=0.0)
                    if closest >= duplicate or (strict and closest >= similar):
                        continue
                    found = c
                    break
                if found is None:
                    exhausted.add(theme)
                    continue
                picked.append(found)
                taken.add((found.task, found.sentence))
                per_task[found.task] = per_task.get(found.task, 0) + 1
    return picked
