"""Fitting and grouped cross-validation of the theme classifier.

Every evaluation splits by source page (GroupKFold on source groups: articles
from one page, seeds included, stay together), so no article and no page is ever
on both sides; thresholds are tuned on out-of-fold predictions of an inner split
of the training articles, grouped the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import GroupKFold

from renovml.model.context import with_context
from renovml.model.estimator import ThemeClassifier
from renovml.model.theme_model import ThemeModel, rollup
from renovml.model.tokens import lexicon_counts, token_cache
from renovml.themes import THEMES
from renovml.training.corpus import source_groups
from renovml.training.metrics import best_thresholds, label_matrix

__all__ = ["Config", "Units", "cross_validate", "evaluate_split", "fit_model", "inner_folds",
           "keyword_predictions", "make_folds", "paragraph_rollup", "subset_units", "units_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    """A named candidate configuration of :class:`~renovml.ThemeClassifier`."""

    name: str
    words: bool = True
    chars: bool = True
    lexicon: bool = True
    context_weight: float = 0.0
    neighbours: bool = True
    C: float = 10.0
    class_weight: str | None = None
    random_state: int = 0
    char_range: tuple[int, int] = (1, 3)
    word_bigrams: bool = True
    paragraph_weight: float = 0.0
    title_weight: float = 0.0
    model: str = "logreg"

    @property
    def shippable(self) -> bool:
        """Whether the fitted classifier compiles to the shipped scorer: one logistic
        regression per theme over features renovml computes natively (words with
        bigrams, character n-grams up to 3)."""
        return (self.model == "logreg" and max(self.char_range) <= 3 and self.word_bigrams)

    def estimator(self) -> ThemeClassifier:
        """An unfitted classifier of this configuration."""
        return ThemeClassifier(words=self.words, chars=self.chars, lexicon=self.lexicon,
                               context_weight=self.context_weight, neighbours=self.neighbours,
                               C=self.C, class_weight=self.class_weight,
                               random_state=self.random_state, char_range=self.char_range,
                               word_bigrams=self.word_bigrams,
                               paragraph_weight=self.paragraph_weight,
                               title_weight=self.title_weight, model=self.model)


@dataclass
class Units:
    """The sections of a corpus at one unit, as model inputs with labels and groups."""

    inputs: list[dict]
    y: np.ndarray
    groups: np.ndarray  # article id of each section
    paragraph_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    # Source group of each section (see corpus.source_groups): what every split keeps whole.
    sources: np.ndarray | None = None
    # The ANNOTATION.md hard-case pattern a sentence was written to show ("" for none).
    hard_case: np.ndarray | None = None

    def __post_init__(self):
        if self.sources is None:
            self.sources = self.groups
        if self.hard_case is None:
            self.hard_case = np.full(len(self.inputs), "", dtype=object)


def units_of(articles: list[dict], unit: str) -> Units:
    """Model inputs (with heading and neighbour context), labels, article ids and source
    groups.

    For sentences, ``paragraph_of`` numbers each sentence's paragraph across
    the whole corpus (as the rows of the paragraph units; -1 for a paragraph that is
    not wholly labelled), so sentence scores can be rolled up to paragraphs.
    """
    inputs, labels, groups, owner, hard = [], [], [], [], []
    paragraph_counter = 0
    source_of = source_groups(articles)
    for article in articles:
        paragraphs = [[s["text"] for s in p["sentences"]] for p in article["paragraphs"]]
        # Every section is context for its neighbours; only labelled ones are units (a
        # user's sentence with null labels was shown to no annotator).
        context = with_context(paragraphs, unit)
        # Paragraphs are numbered among the labelled ones (the rows of the paragraph
        # units); a sentence of a paragraph not wholly labelled gets -1.
        numbers = []
        for p in article["paragraphs"]:
            numbers.append(paragraph_counter if p["labels"] is not None else -1)
            paragraph_counter += p["labels"] is not None
        if unit == "paragraph":
            sections = [(p["labels"], "") for p in article["paragraphs"]]
            paragraph_ids = numbers
        else:
            sections = [(s["labels"], s.get("hard_case") or "")
                        for p in article["paragraphs"] for s in p["sentences"]]
            paragraph_ids = [numbers[i] for i, p in enumerate(article["paragraphs"])
                             for _ in p["sentences"]]
        for x, (section_labels, tag), para in zip(context, sections, paragraph_ids):
            if section_labels is None:
                continue
            inputs.append(x)
            labels.append(section_labels)
            groups.append(article["id"])
            hard.append(tag)
            if unit == "sentence":
                owner.append(para)
    groups = np.array(groups)
    sources = np.array([source_of[g] for g in groups.tolist()], dtype=object)
    return Units(inputs, label_matrix(labels), groups, np.array(owner, dtype=int), sources,
                 np.array(hard, dtype=object))


def paragraph_rollup(proba: np.ndarray, paragraph_of: np.ndarray):
    """:func:`rollup` over the sentences of labelled paragraphs (``paragraph_of >= 0``)."""
    keep = paragraph_of >= 0
    return rollup(proba[keep], paragraph_of[keep])


def make_folds(articles: list[dict], n_splits: int = 5) -> dict[str, int]:
    """Assign every article to one of ``n_splits`` folds, balanced by sentence count.

    Articles from the same source page (:func:`~renovml.training.corpus.source_groups`:
    same address or page title, seeds included) share a fold, so no page's facts are on
    both sides. Deterministic: the same articles give the same folds.
    """
    source_of = source_groups(articles)
    sizes: dict[str, int] = {}
    members: dict[str, list[str]] = {}
    for a in sorted(articles, key=lambda a: a["id"]):
        key = source_of[a["id"]]
        sizes[key] = sizes.get(key, 0) + sum(len(p["sentences"]) for p in a["paragraphs"])
        members.setdefault(key, []).append(a["id"])
    keys = sorted(sizes)
    groups = np.repeat(np.array(keys, dtype=object), [sizes[k] for k in keys])
    folds: dict[str, int] = {}
    for k, (_, test) in enumerate(GroupKFold(n_splits=n_splits).split(groups, groups=groups)):
        for key in set(groups[test]):
            for article_id in members[key]:
                folds[article_id] = k
    return folds


def _fit_predict(config: Config, train: Units, test_inputs: list[dict]) -> np.ndarray:
    return config.estimator().fit(train.inputs, train.y).predict_proba(test_inputs)


def subset_units(units: Units, mask: np.ndarray) -> Units:
    idx = np.flatnonzero(mask)
    return Units([units.inputs[i] for i in idx], units.y[idx], units.groups[idx],
                 units.paragraph_of[idx] if len(units.paragraph_of) else units.paragraph_of,
                 units.sources[idx], units.hard_case[idx])


def _oof(config: Config, units: Units, fold_of: np.ndarray) -> np.ndarray:
    proba = np.zeros(units.y.shape, dtype=float)
    for k in np.unique(fold_of):
        test = fold_of == k
        proba[test] = _fit_predict(config, subset_units(units, ~test), subset_units(units, test).inputs)
    return proba


def inner_folds(groups: np.ndarray, n_splits: int) -> np.ndarray:
    fold_of = np.zeros(len(groups), dtype=int)
    for k, (_, test) in enumerate(GroupKFold(n_splits=n_splits).split(groups, groups=groups)):
        fold_of[test] = k
    return fold_of


@dataclass
class SplitResult:
    """Scores of held-out sections from one training split, thresholded as tuned inside it."""

    proba: np.ndarray
    pred: np.ndarray
    thresholds: np.ndarray
    para_ids: np.ndarray | None = None
    para_pred: np.ndarray | None = None


def evaluate_split(config: Config, train: Units, held: Units, *, inner_splits: int = 4,
                   paragraph_y: np.ndarray | None = None) -> SplitResult:
    """Fit on ``train`` and score ``held``, with per-theme thresholds tuned on out-of-fold
    predictions of an inner grouped split of ``train`` only. With ``paragraph_y``,
    sentence scores are also rolled up to ``held``'s paragraphs."""
    n_groups = len(np.unique(train.sources))
    if n_groups < 2:
        raise ValueError(f"a training split holds {n_groups} source(s); tuning thresholds "
                         "needs at least 2 (use fewer folds or a larger corpus)")
    inner = _oof(config, train, inner_folds(train.sources, min(inner_splits, n_groups)))
    th = best_thresholds(train.y, inner)
    proba = _fit_predict(config, train, held.inputs)
    result = SplitResult(proba, (proba >= th).astype(np.int8), th)
    if paragraph_y is not None:
        _, inner_para = paragraph_rollup(inner, train.paragraph_of)
        pth = best_thresholds(paragraph_y[np.unique(train.paragraph_of[train.paragraph_of >= 0])],
                              inner_para)
        result.para_ids, held_para = paragraph_rollup(proba, held.paragraph_of)
        result.para_pred = (held_para >= pth).astype(np.int8)
    return result


@dataclass
class CVResult:
    """Out-of-fold scores and predictions of a nested grouped cross-validation."""

    proba: np.ndarray          # outer out-of-fold probabilities
    pred: np.ndarray           # thresholded with thresholds tuned inside each outer fold
    y: np.ndarray
    fold_of: np.ndarray
    thresholds: list[list[float]]
    # Paragraph scores rolled up from sentence scores (sentence units only).
    para_proba: np.ndarray | None = None
    para_pred: np.ndarray | None = None
    para_y: np.ndarray | None = None
    para_fold_of: np.ndarray | None = None


def cross_validate(config: Config, units: Units, folds: dict[str, int], *,
                   inner_splits: int = 4, paragraph_y: np.ndarray | None = None) -> CVResult:
    """Nested grouped cross-validation.

    For each outer fold: fit on the other folds' articles and score the held-out
    ones; tune per-theme thresholds on out-of-fold predictions of an inner
    grouped split of the training articles; apply them to the held-out scores.
    With sentence units and ``paragraph_y`` (labels of every paragraph, in
    corpus order), paragraphs are also scored by rolling sentences up.
    """
    fold_of = np.array([folds[g] for g in units.groups])
    proba = np.zeros(units.y.shape, dtype=float)
    pred = np.zeros(units.y.shape, dtype=np.int8)
    rolled = paragraph_y is not None and len(units.paragraph_of)
    if rolled:
        para_ids = np.unique(units.paragraph_of[units.paragraph_of >= 0])
        para_fold = np.zeros(len(para_ids), dtype=int)
        para_pred = np.zeros((len(para_ids), len(THEMES)), dtype=np.int8)
    thresholds = []
    with token_cache():
        for k in sorted(set(fold_of.tolist())):
            test = fold_of == k
            held = subset_units(units, test)
            fold = evaluate_split(config, subset_units(units, ~test), held, inner_splits=inner_splits,
                                  paragraph_y=paragraph_y if rolled else None)
            proba[test], pred[test] = fold.proba, fold.pred
            thresholds.append(fold.thresholds.round(2).tolist())
            if rolled:
                para_pred[fold.para_ids] = fold.para_pred
                para_fold[fold.para_ids] = k
            logger.debug("%s: fold %d done", config.name, k)
    result = CVResult(proba, pred, units.y, fold_of, thresholds)
    if rolled:
        _, result.para_proba = paragraph_rollup(proba, units.paragraph_of)
        result.para_pred, result.para_y, result.para_fold_of = para_pred, paragraph_y, para_fold
    return result


def keyword_predictions(units: Units) -> np.ndarray:
    """The keyword-lexicon rule: a theme whenever one of its lexicon terms occurs."""
    from renovml.model.features import section_texts

    return (np.array([lexicon_counts(t) for t in section_texts(units.inputs)]) > 0).astype(np.int8)


def fit_model(config: Config, sentences: Units, *, thresholds, paragraph_thresholds,
              paragraph_mode: str = "aggregate", paragraph_config: Config | None = None,
              paragraphs: Units | None = None, metadata: dict | None = None) -> ThemeModel:
    """Fit the final model on every section of the corpus."""
    with token_cache():
        classifier = config.estimator().fit(sentences.inputs, sentences.y)
        paragraph_classifier = None
        if paragraph_mode == "direct":
            paragraph_classifier = (paragraph_config or config).estimator().fit(
                paragraphs.inputs, paragraphs.y)
    for fitted in (classifier, paragraph_classifier):
        if fitted is not None:
            _drop_stop_words(fitted.pipeline_)
    return ThemeModel(classifier=classifier, thresholds=thresholds,
                      paragraph_thresholds=paragraph_thresholds, paragraph_mode=paragraph_mode,
                      paragraph_classifier=paragraph_classifier, metadata=metadata)


def _drop_stop_words(estimator) -> None:
    """Delete what a fitted vectorizer keeps but never uses to transform and that differs
    from one run to the next: ``stop_words_`` (the terms cut by ``min_df``, a set whose
    pickled order varies by process) and ``_stop_words_id`` (a memory address). Without
    them the same data and versions give the same artifact, byte for byte."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stack = [estimator]
    while stack:
        node = stack.pop()
        if isinstance(node, TfidfVectorizer):
            for attr in ("stop_words_", "_stop_words_id"):  # the latter is an id() of this run
                if hasattr(node, attr):
                    delattr(node, attr)
        for attr in ("steps", "transformer_list"):
            stack += [step for _, step in getattr(node, attr, [])]
