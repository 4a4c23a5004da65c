"""Section texts -> theme scores: the theme classifier as a scikit-learn estimator.

:class:`ThemeClassifier` is the one implementation of renovml's classifier: the
shipped model's pipeline is a fitted ``ThemeClassifier``, cross-validation and
training fit clones of it, and it works with scikit-learn's own tools
(``clone``, ``cross_val_score``, ``GridSearchCV`` with ``GroupKFold``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from renovml.model.features import as_inputs, build_features
from renovml.themes import THEMES

__all__ = ["ThemeClassifier", "label_matrix"]


def label_matrix(labels) -> np.ndarray:
    """A (n, 4) 0/1 matrix of theme labels, columns in the order of :data:`THEMES`.

    ``labels`` is either such a matrix already (an array, or rows of four 0/1
    values) or one list of theme ids per section (``[]`` for no theme).

    Raises
    ------
    ValueError
        For an unknown theme id or a matrix that is not (n, 4) of 0 and 1.
    """
    if not isinstance(labels, np.ndarray):
        rows = [list(row) for row in labels]
        if all(isinstance(x, str) for row in rows for x in row):
            y = np.zeros((len(rows), len(THEMES)), dtype=np.int8)
            for i, row in enumerate(rows):
                for theme in row:
                    if theme not in THEMES:
                        raise ValueError(f"section {i}: unknown theme {theme!r}; "
                                         f"expected ids from {THEMES}")
                    y[i, THEMES.index(theme)] = 1
            return y
        labels = np.asarray(rows)
    if labels.ndim != 2 or labels.shape[1] != len(THEMES):
        raise ValueError(f"expected a label matrix of shape (n, {len(THEMES)}) or lists of "
                         f"theme ids, got an array of shape {labels.shape}")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("a label matrix holds only 0 and 1")
    return labels.astype(np.int8)


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """TF-IDF features of a section and its context, then one logistic regression per theme.

    Parameters
    ----------
    words : bool
        TF-IDF of jieba words and word bigrams (with the domain lexicon).
    chars : bool
        TF-IDF of character 1-3-grams.
    lexicon : bool
        Per-theme counts of the domain lexicon's terms.
    context_weight : float
        Weight of the character n-grams of the section's heading (and, with
        ``neighbours``, its neighbouring sections); 0 for no context. When no
        training input carries context (plain texts), none is used
        (``uses_context_`` is False).
    neighbours : bool
        Whether the context includes the neighbouring sections.
    C : float
        Inverse regularisation strength of each logistic regression (of the linear
        SVM with ``model="svm"``).
    class_weight : None or "balanced"
    char_range : tuple of int
        Smallest and largest character n-gram of the section.
    word_bigrams : bool
        Whether the word features include word bigrams.
    paragraph_weight, title_weight : float
        Weight of the character n-grams of the paragraph a sentence sits in, and of the
        article's headline; 0 for none.
    model : {"logreg", "svm", "chain"}
        One logistic regression per theme (the only kind the shipped model compiles
        to), a linear SVM per theme with sigmoid calibration, or a classifier chain of
        logistic regressions (each theme also sees the themes before it).
    threshold : float
        The score from which :meth:`predict` assigns a theme. The shipped model
        tunes one threshold per theme instead (:class:`~renovml.ThemeModel`).
    random_state : int

    Notes
    -----
    ``X`` is a sequence of section texts (raw text is cleaned here), or of dicts
    with ``text`` and optionally ``heading``, ``prev`` and ``next`` (see
    :func:`renovml.model.context.with_context`). ``Y`` is a binary indicator
    matrix with one column per theme in the order of :data:`renovml.THEMES`,
    or one list of theme ids per section.
    """

    def __init__(self, *, words: bool = True, chars: bool = True, lexicon: bool = True,
                 context_weight: float = 0.3, neighbours: bool = False, C: float = 10.0,
                 class_weight: str | None = None, threshold: float = 0.5,
                 random_state: int = 0, char_range: tuple[int, int] = (1, 3),
                 word_bigrams: bool = True, paragraph_weight: float = 0.0,
                 title_weight: float = 0.0, model: str = "logreg"):
        self.words = words
        self.chars = chars
        self.lexicon = lexicon
        self.context_weight = context_weight
        self.neighbours = neighbours
        self.C = C
        self.class_weight = class_weight
        self.threshold = threshold
        self.random_state = random_state
        self.char_range = char_range
        self.word_bigrams = word_bigrams
        self.paragraph_weight = paragraph_weight
        self.title_weight = title_weight
        self.model = model

    def __setstate__(self, state):
        # A classifier saved before a parameter existed gets that parameter's default.
        defaults = {"char_range": (1, 3), "word_bigrams": True, "paragraph_weight": 0.0,
                    "title_weight": 0.0, "model": "logreg"}
        super().__setstate__({**defaults, **state})

    def _pipeline(self, context_weight: float, paragraph_weight: float,
                  title_weight: float) -> Pipeline:
        features = build_features(words=self.words, chars=self.chars, lexicon=self.lexicon,
                                  context_weight=context_weight, neighbours=self.neighbours,
                                  char_range=self.char_range, word_bigrams=self.word_bigrams,
                                  paragraph_weight=paragraph_weight, title_weight=title_weight)
        logreg = LogisticRegression(C=self.C, solver="liblinear", class_weight=self.class_weight,
                                    max_iter=1000, random_state=self.random_state)
        if self.model == "logreg":
            classifier = OneVsRestClassifier(logreg)
        elif self.model == "svm":
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.svm import LinearSVC

            classifier = OneVsRestClassifier(CalibratedClassifierCV(
                LinearSVC(C=self.C, class_weight=self.class_weight,
                          random_state=self.random_state), method="sigmoid", cv=3))
        elif self.model == "chain":
            from sklearn.multioutput import ClassifierChain

            classifier = ClassifierChain(logreg, cv=3, random_state=self.random_state)
        else:
            raise ValueError(f"model must be 'logreg', 'svm' or 'chain', got {self.model!r}")
        return Pipeline([("features", features), ("classifier", classifier)])

    def fit(self, X, Y):
        """Fit on section texts ``X`` and their theme labels ``Y``.

        Raises
        ------
        ValueError
            If ``X`` and ``Y`` differ in length, ``Y`` names an unknown theme, or a
            theme has no positive (or no negative) example.
        """
        inputs = as_inputs(X)
        y = label_matrix(Y)
        if len(inputs) != len(y):
            raise ValueError(f"X has {len(inputs)} sections but Y has {len(y)} label rows")
        single = [t for t, col in zip(THEMES, y.T) if col.min() == col.max()]
        if single:
            raise ValueError(f"theme(s) {single} are on every section or on none; each theme "
                             "needs both positive and negative examples to be learned")
        # Plain texts carry no heading or neighbours: there is no context to learn from.
        keys = ("heading", "prev", "next") if self.neighbours else ("heading",)
        self.uses_context_ = self.context_weight > 0 and any(
            x.get(k) for x in inputs for k in keys)
        has = {k: any(x.get(k) for x in inputs) for k in ("paragraph", "title")}
        self.pipeline_ = self._pipeline(self.context_weight if self.uses_context_ else 0.0,
                                        self.paragraph_weight if has["paragraph"] else 0.0,
                                        self.title_weight if has["title"] else 0.0)
        self.pipeline_.fit(inputs, y)
        self.classes_ = np.array(THEMES)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of each theme, shape (n, 4)."""
        check_is_fitted(self, "pipeline_")
        inputs = as_inputs(X)
        if not inputs:
            return np.zeros((0, len(THEMES)))
        return self.pipeline_.decision_function(inputs)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each theme, shape (n, 4), columns in the order of THEMES."""
        check_is_fitted(self, "pipeline_")
        inputs = as_inputs(X)
        if not inputs:
            return np.zeros((0, len(THEMES)))
        return self.pipeline_.predict_proba(inputs)

    def predict(self, X) -> np.ndarray:
        """A (n, 4) 0/1 matrix: the themes whose probability reaches ``threshold``."""
        return (self.predict_proba(X) >= self.threshold).astype(np.int8)

    def score(self, X, Y, sample_weight=None) -> float:
        """Macro-F1 over the four themes (the figure renovml reports)."""
        from sklearn.metrics import f1_score

        return float(f1_score(label_matrix(Y), self.predict(X), average="macro",
                              zero_division=0))
