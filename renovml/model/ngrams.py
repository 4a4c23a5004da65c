"""Character and word n-gram TF-IDF computed for a whole batch at once with numpy.

:class:`CharNgramTfidf` and :class:`WordNgramTfidf` give the same matrices as
scikit-learn's ``TfidfVectorizer`` (``analyzer="char"``, or a word tokenizer with
``ngram_range=(1, 2)``) — the same vocabulary, in the same (alphabetical) order,
the same weights — without a Python loop per n-gram: every n-gram of a batch
becomes one 64-bit key (a character takes 21 bits; a word, its index in the
vocabulary's words) and the vocabulary a sorted array searched with
``numpy.searchsorted``. Only segmenting words stays a Python call per text.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from renovml.model.ngram_keys import char_keys as _keys
from renovml.model.ngram_keys import distinct as _distinct
from renovml.model.ngram_keys import key_to_str as _key_to_str
from renovml.model.ngram_keys import prepare as _prepare

__all__ = ["CharNgramTfidf", "WordNgramTfidf"]

def _tfidf(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], idf: np.ndarray,
           sublinear: bool) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows from the (row, column) of every n-gram occurrence."""
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    counts.sum_duplicates()
    counts.sort_indices()
    if sublinear:
        np.log(counts.data, out=counts.data)
        counts.data += 1
    counts = counts @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sparse.csr_matrix(sparse.diags(1 / norms) @ counts)


def _select(names: np.ndarray, df: np.ndarray, totals: np.ndarray, min_df: int,
            max_features: int | None) -> np.ndarray:
    """Indices of the n-grams kept, as scikit-learn keeps them: document frequency at least
    ``min_df``, then the ``max_features`` most frequent (numpy's default sort over counts in
    alphabetical order, so ties at the cut fall the same way). Returned in alphabetical order."""
    alphabetical = np.argsort(names, kind="stable")
    alphabetical = alphabetical[df[alphabetical] >= min_df]
    if max_features is not None and len(alphabetical) > max_features:
        ranked = (-totals[alphabetical].astype(np.int64)).argsort()[:max_features]
        alphabetical = alphabetical[np.sort(ranked)]
    return alphabetical


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams, equal to scikit-learn's char ``TfidfVectorizer``.

    Parameters
    ----------
    ngram_range : tuple of int
        Smallest and largest n (at most 3: three characters fill a 64-bit key).
    min_df : int
        Keep n-grams found in at least this many training texts.
    max_features : int, optional
        Keep only the most frequent n-grams (ties broken alphabetically, as
        scikit-learn does).
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of the raw count.
    lowercase : bool
    """

    def __init__(self, *, ngram_range=(1, 3), min_df: int = 2, max_features: int | None = None,
                 sublinear_tf: bool = True, lowercase: bool = True):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.lowercase = lowercase

    def fit(self, X, y=None):
        """Learn the vocabulary and the inverse document frequencies of ``X``."""
        low, high = self.ngram_range
        if not 1 <= low <= high <= 3:
            raise ValueError(f"ngram_range must be within (1, 3), got {self.ngram_range}")
        texts = _prepare(X, self.lowercase)
        docs, keys = _keys(texts, self.ngram_range)
        pairs = np.unique(np.stack([keys, docs]), axis=1) if len(keys) else np.zeros((2, 0), int)
        vocab, df = np.unique(pairs[0], return_counts=True)
        totals = np.bincount(np.searchsorted(vocab, keys), minlength=len(vocab))
        names = np.array([_key_to_str(int(k)) for k in vocab], dtype=object)
        kept = _select(names, df, totals, self.min_df, self.max_features)
        if not len(kept):
            raise ValueError("empty vocabulary: no character n-gram reaches min_df")
        self.feature_names_ = names[kept]
        by_key = np.argsort(vocab[kept])  # vocab is sorted, so kept keys are too
        self.keys_ = vocab[kept][by_key]
        self.column_of_ = np.arange(len(kept))[by_key]
        self.idf_ = (np.log((1 + len(texts)) / (1 + df[kept])) + 1).astype(np.float64)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        """The L2-normalised TF-IDF matrix of ``X``, shape (n_texts, n_features)."""
        check_is_fitted(self, "keys_")
        # Each distinct text once (a heading is the context of every sentence under it).
        distinct, inverse = _distinct(X)
        texts = _prepare(distinct, self.lowercase)
        docs, keys = _keys(texts, self.ngram_range)
        where = np.searchsorted(self.keys_, keys)
        where[where == len(self.keys_)] = 0
        known = self.keys_[where] == keys
        matrix = _tfidf(docs[known], self.column_of_[where[known]],
                        (len(texts), len(self.feature_names_)), self.idf_, self.sublinear_tf)
        return matrix if len(distinct) == len(inverse) else matrix[inverse]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_")
        return self.feature_names_.copy()


class WordNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of words and word bigrams, equal to scikit-learn's ``TfidfVectorizer`` with
    ``tokenizer=tokenizer, token_pattern=None, lowercase=False, ngram_range=(1, 2)``.

    Parameters
    ----------
    tokenizer : callable
        ``str -> list[str]``; a module-level function, so the fitted object pickles.
    min_df : int
    max_features : int, optional
    sublinear_tf : bool
    """

    def __init__(self, *, tokenizer, min_df: int = 2, max_features: int | None = None,
                 sublinear_tf: bool = True):
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _tokens(self, X) -> list[list[str]]:
        out = []
        for text in X:
            if not isinstance(text, str):
                raise TypeError(f"expected str, got {type(text).__name__}")
            out.append(self.tokenizer(text))
        return out

    def fit(self, X, y=None):
        """Learn the vocabulary of words and bigrams and their inverse document frequencies."""
        docs = self._tokens(X)
        df: dict[str, int] = {}
        totals: dict[str, int] = {}
        for tokens in docs:
            grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
            for g in grams:
                totals[g] = totals.get(g, 0) + 1
            for g in set(grams):
                df[g] = df.get(g, 0) + 1
        names = np.array(list(df), dtype=object)
        kept = _select(names, np.fromiter(df.values(), dtype=np.int64, count=len(df)),
                       np.array([totals[g] for g in names], dtype=np.int64),
                       self.min_df, self.max_features)
        if not len(kept):
            raise ValueError("empty vocabulary: no word reaches min_df")
        self.feature_names_ = names[kept]
        # Words get ids; a bigram is the key id(first) * n_words + id(second).
        words = sorted({w for g in self.feature_names_ for w in g.split(" ")})
        self.word_ids_ = {w: i for i, w in enumerate(words)}
        self.unigram_column_ = np.full(len(words), -1, dtype=np.int64)
        bigram_keys, bigram_columns = [], []
        for column, gram in enumerate(self.feature_names_):
            first, _, second = gram.partition(" ")
            if second:
                bigram_keys.append(self.word_ids_[first] * len(words) + self.word_ids_[second])
                bigram_columns.append(column)
            else:
                self.unigram_column_[self.word_ids_[first]] = column
        order = np.argsort(np.array(bigram_keys, dtype=np.int64), kind="stable")
        self.bigram_keys_ = np.array(bigram_keys, dtype=np.int64)[order]
        self.bigram_column_ = np.array(bigram_columns, dtype=np.int64)[order]
        self.idf_ = (np.log((1 + len(docs)) / (1 + np.array([df[g] for g in self.feature_names_])))
                     + 1).astype(np.float64)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        """The L2-normalised TF-IDF matrix of ``X``, shape (n_texts, n_features)."""
        check_is_fitted(self, "word_ids_")
        distinct, inverse = _distinct(X)
        docs = self._tokens(distinct)
        ids_of = self.word_ids_
        lengths = np.fromiter((len(t) for t in docs), dtype=np.int64, count=len(docs))
        ids = np.fromiter((ids_of.get(w, -1) for tokens in docs for w in tokens),
                          dtype=np.int64, count=int(lengths.sum()))
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        unigram = np.where(ids >= 0, self.unigram_column_[np.maximum(ids, 0)], -1)
        rows, cols = [doc_of[unigram >= 0]], [unigram[unigram >= 0]]
        if len(ids) > 1 and len(self.bigram_keys_):
            same_doc = doc_of[1:] == doc_of[:-1]
            both = same_doc & (ids[:-1] >= 0) & (ids[1:] >= 0)
            keys = ids[:-1][both] * len(ids_of) + ids[1:][both]
            where = np.searchsorted(self.bigram_keys_, keys)
            where[where == len(self.bigram_keys_)] = 0
            known = self.bigram_keys_[where] == keys
            rows.append(doc_of[:-1][both][known])
            cols.append(self.bigram_column_[where[known]])
        matrix = _tfidf(np.concatenate(rows), np.concatenate(cols),
                        (len(docs), len(self.feature_names_)), self.idf_, self.sublinear_tf)
        return matrix if len(distinct) == len(inverse) else matrix[inverse]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_")
        return self.feature_names_.copy()
