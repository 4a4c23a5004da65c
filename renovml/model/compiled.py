"""The fitted classifier as plain arrays: predicting without scikit-learn.

:func:`compile_classifier` turns a fitted :class:`~renovml.ThemeClassifier` into
a :class:`CompiledScorer`: per feature block the vocabulary keys, columns and
inverse document frequencies, and the four logistic regressions' weights. Its
:meth:`~CompiledScorer.predict_proba` computes the same numbers as the estimator
with numpy alone, so predicting imports neither scikit-learn nor scipy (whose
import is most of a cold start), and the saved scorer holds nothing but numbers,
strings and names of renovml functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from renovml.model import inputs as _inputs
from renovml.model.ngram_keys import _BITS, char_keys, distinct, prepare
from renovml.themes import THEMES

try:  # character n-gram scoring in C; built when renovml is installed, optional
    from renovml.model import _native as NATIVE

    _NATIVE_MISSING = None
except ImportError as exc:  # no compiler at install time: numpy scores the same, slower
    NATIVE = None
    _NATIVE_MISSING = str(exc)
_warned = False


def _warn_native_missing() -> None:
    """Say once per process that scoring runs without the native scorer, and why."""
    global _warned
    if _NATIVE_MISSING is None or _warned:
        return
    _warned = True
    import warnings

    warnings.warn(
        f"renovml's native scorer did not import ({_NATIVE_MISSING}): scoring with numpy "
        "instead, the same numbers, slower. Install renovml where a C compiler and Python's "
        "headers are at hand (pip install .), and run it from outside its source tree, "
        "whose renovml/ folder holds no compiled module.", RuntimeWarning, stacklevel=3)

__all__ = ["CompiledScorer", "compile_classifier"]

# The functions a block may read its texts with, by name: nothing else can be named.
_TEXTS = {f.__name__: f for f in (_inputs.section_texts, _inputs.heading_texts,
                                   _inputs.neighbour_texts, _inputs.paragraph_texts,
                                   _inputs.title_texts)}


@dataclass
class _Part:
    """One feature block's part: words, chars or lexicon, and its columns."""

    kind: str
    offset: int
    width: int
    # Feature names and words as numpy string arrays: one buffer each in the file, so a
    # model loads in milliseconds instead of unpickling a hundred thousand str objects.
    names: np.ndarray
    arrays: dict = field(default_factory=dict)
    sublinear: bool = True
    lowercase: bool = True
    ngram_range: tuple[int, int] = (1, 3)
    words: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U1"))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_word_ids", None)  # rebuilt from ``words`` on first use
        state.pop("_word_codes", None)
        state.pop("_native", None)
        return state

    @property
    def native(self) -> _NativeVocabulary | None:
        """A chars part's vocabulary laid out for the native scorer (built on first use, per
        process), or None where there is no native scorer or the vocabulary does not fit it."""
        built = self.__dict__.get("_native")
        keys, columns = self.arrays.get("keys"), self.arrays.get("column_of")
        if built is None or built[0] is not keys or built[1] is not columns:  # new arrays
            vocabulary = (_NativeVocabulary.of(self) if NATIVE is not None
                          and self.kind == "chars" else None)
            built = self.__dict__["_native"] = (keys, columns, vocabulary)
        return built[2]

    @property
    def word_codes(self) -> dict[str, int]:
        """Segmented word -> vocabulary id, -1 (unknown token) or -2 (dropped); filled as
        words are met, per process."""
        codes = self.__dict__.get("_word_codes")
        if codes is None:
            codes = self.__dict__["_word_codes"] = {}
        return codes

    def code_of(self, word: str) -> int:
        from renovml.model.tokens import token_of

        token = token_of(word)
        return -2 if token is None else self.word_ids.get(token, -1)

    @property
    def word_ids(self) -> dict[str, int]:
        ids = self.__dict__.get("_word_ids")
        if ids is None:
            ids = self.__dict__["_word_ids"] = {str(w): i for i, w in enumerate(self.words)}
        return ids


@dataclass
class _Block:
    texts: str
    weight: float
    parts: list[_Part]


def _tfidf_rows(rows, cols, n_rows, idf, sublinear) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum duplicate (row, col) occurrences, weigh by idf, L2-normalise each row."""
    if not len(rows):
        return rows, cols, np.zeros(0)
    width = len(idf)
    cells, counts = np.unique(rows * width + cols, return_counts=True)
    rows, cols = cells // width, cells % width
    values = counts.astype(np.float64)
    if sublinear:
        values = np.log(values) + 1
    values *= idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
    values /= norms[rows]
    return rows, cols, values


def _spread(rows, cols, values, inverse, n_distinct):
    """Entries of distinct rows (sorted by row) repeated for every input that has that row."""
    row_start = np.searchsorted(rows, np.arange(n_distinct))
    row_len = np.bincount(rows, minlength=n_distinct)
    lengths = row_len[inverse]
    total = int(lengths.sum())
    out_rows = np.repeat(np.arange(len(inverse)), lengths)
    first = np.repeat(row_start[inverse], lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    index = first + within
    return out_rows, cols[index], values[index]


def _sigmoid(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-log_odds))


def _read_only(array) -> np.ndarray:
    array = np.asarray(array)
    array.flags.writeable = False
    return array


class _NativeVocabulary:
    """A chars part's vocabulary as the native scorer reads it (see ``char_scores`` in
    ``_native.c``): each character of a feature gets an id 1..k; single characters are
    found by id; two- and three-character n-grams in a hash table of 8-byte slots (key,
    whether a longer feature starts with it, column + 1), with the two-character prefix
    of every three-character feature in the table, so the scorer looks a longer n-gram up
    only where a feature can start with its prefix."""

    def __init__(self, ids, astral, astral_ids, unigrams, table, bits, value_bits, width,
                 ngram_range):
        self.ids, self.astral, self.astral_ids = ids, astral, astral_ids
        self.unigrams, self.table = unigrams, table
        self.bits, self.value_bits, self.width = bits, value_bits, width
        self.ngram_range = ngram_range

    @classmethod
    def of(cls, part: _Part) -> _NativeVocabulary | None:
        keys = np.asarray(part.arrays["keys"], dtype=np.int64)
        columns = np.asarray(part.arrays["column_of"], dtype=np.int64)
        mask = (1 << _BITS) - 1
        chars = np.stack([keys >> (2 * _BITS), (keys >> _BITS) & mask, keys & mask])  # +1'd
        length = (chars > 0).sum(axis=0)
        codes = np.unique(chars[chars > 0])
        bits = max(1, len(codes).bit_length())
        value_bits = max(1, (part.width + 1).bit_length())
        if len(codes) >= 1 << 16 or 3 * bits + value_bits + 1 > 64 or part.width >= 1 << 30:
            return None  # too many characters or features to pack: numpy scores this part
        cid = np.searchsorted(codes, chars).astype(np.uint64) + 1  # id of each (+1'd) char
        cid[chars == 0] = 0
        # The characters of a key, first to last, whatever its length.
        first = np.where(length == 3, cid[0], np.where(length == 2, cid[1], cid[2]))
        second = np.where(length == 3, cid[1], cid[2])
        last = cid[2]
        b = np.uint64(bits)
        ids = np.zeros(65536, np.uint16)
        code_points = codes - 1
        bmp = code_points < 65536
        ids[code_points[bmp]] = np.arange(1, len(codes) + 1)[bmp]
        astral = np.ascontiguousarray(code_points[~bmp], dtype=np.uint32)
        astral_ids = np.ascontiguousarray(np.arange(1, len(codes) + 1)[~bmp], dtype=np.uint16)
        # Single characters: column + 1, and bit 30 when a two-character entry starts there.
        unigrams = np.zeros(len(codes) + 1, np.int32)
        one = length == 1
        unigrams[last[one].astype(np.int64)] = columns[one] + 1
        two, three = length == 2, length == 3
        pair_keys = (first[two] << b) | last[two]
        prefix_keys = (first[three] << b) | second[three]
        # Two-character entries: the features, and the prefixes of three-character ones.
        pairs = np.union1d(pair_keys, prefix_keys)
        value = np.zeros(len(pairs), np.uint64)
        value[np.searchsorted(pairs, pair_keys)] = (columns[two] + 1).astype(np.uint64)
        children = np.isin(pairs, prefix_keys).astype(np.uint64)
        unigrams[(pairs >> b).astype(np.int64)] |= 1 << 30
        triple_keys = (((first[three] << b) | second[three]) << b) | last[three]
        shift = np.uint64(value_bits + 1)
        packed = np.concatenate([
            (pairs << shift) | (children << np.uint64(value_bits)) | value,
            (triple_keys << shift) | (columns[three] + 1).astype(np.uint64)])
        size = 1 << max(4, (2 * len(packed)).bit_length())  # load factor at most 1/2
        table = np.zeros(size, np.uint64)
        NATIVE.fill_table(packed, int(shift), table)
        return cls(ids, astral, astral_ids, unigrams, table, bits, value_bits, part.width,
                   tuple(part.ngram_range))

    def scores(self, texts: list[str], rows: np.ndarray, sublinear: bool,
               out: np.ndarray) -> None:
        """Add each text's TF-IDF (rows: the idf, then idf times each output's weight, per
        feature) to ``out``, shape (len(texts), outputs)."""
        NATIVE.char_scores(texts, *self.ngram_range, self.ids, self.astral, self.astral_ids,
                           self.unigrams, self.table, self.bits, self.value_bits, self.width,
                           rows, sublinear, out)


_WORD_CODES_MAX = 500_000  # words remembered per part; emptied past this, so memory stays flat


class CompiledScorer:
    """Theme probabilities from arrays; built by :func:`compile_classifier`."""

    def __init__(self, blocks: list[_Block], coef: np.ndarray, intercept: np.ndarray):
        self.blocks, self.coef, self.intercept = blocks, coef, intercept
        self._freeze()

    @property
    def reads_sections_only(self) -> bool:
        """Whether every feature block reads the section's own text (no heading,
        neighbours, paragraph or headline), so inputs need no context."""
        return all(block.texts == "section_texts" for block in self.blocks)

    # --- features ----------------------------------------------------------------
    def _part_values(self, part: _Part, texts: list[str]):
        """(rows, cols, values) of one part's features of ``texts``."""
        n = len(texts)
        if part.kind == "lexicon":
            from renovml.model.tokens import lexicon_counts

            counts = [lexicon_counts(t) for t in texts]
            counts = np.array(counts, dtype=np.float64).reshape(-1, len(THEMES))
            rows, cols = np.nonzero(counts)
            return rows, cols, np.log1p(counts[rows, cols])
        a = part.arrays
        if part.kind == "chars":
            docs, keys = char_keys(prepare(texts, part.lowercase), part.ngram_range)
            where = np.searchsorted(a["keys"], keys)
            where[where == len(a["keys"])] = 0
            known = a["keys"][where] == keys
            rows, cols = docs[known], a["column_of"][where[known]]
        else:  # words and word bigrams
            from renovml.model.tokens import segment

            docs = list(map(segment, texts))
            # Each segmented word straight to its vocabulary id (-1: a token the model does
            # not know, which still breaks a bigram; -2: a word tokenize() drops), through a
            # C-level map: no Python step per word.
            words = list(chain.from_iterable(docs))
            codes = part.word_codes
            if len(codes) > _WORD_CODES_MAX:  # a fresh dict, never cleared: another thread
                codes = part.__dict__["_word_codes"] = {}  # may still be reading the old one
            for word in set(words).difference(codes):
                codes[word] = part.code_of(word)
            ids = np.fromiter(map(codes.__getitem__, words), dtype=np.int64, count=len(words))
            doc_of = np.repeat(np.arange(n), np.fromiter(map(len, docs), dtype=np.int64,
                                                         count=n))
            kept = ids != -2
            ids, doc_of = ids[kept], doc_of[kept]
            unigram = np.where(ids >= 0, a["unigram_column"][np.maximum(ids, 0)], -1)
            rows, cols = [doc_of[unigram >= 0]], [unigram[unigram >= 0]]
            if len(ids) > 1 and len(a["bigram_keys"]):
                both = (doc_of[1:] == doc_of[:-1]) & (ids[:-1] >= 0) & (ids[1:] >= 0)
                keys = ids[:-1][both] * len(part.word_ids) + ids[1:][both]
                where = np.searchsorted(a["bigram_keys"], keys)
                where[where == len(a["bigram_keys"])] = 0
                known = a["bigram_keys"][where] == keys
                rows.append(doc_of[:-1][both][known])
                cols.append(a["bigram_column"][where[known]])
            rows, cols = np.concatenate(rows), np.concatenate(cols)
        return _tfidf_rows(rows, cols, n, a["idf"], part.sublinear)

    def features(self, inputs: list[dict]):
        """(rows, columns, values) of the feature matrix of ``inputs``, block weights applied."""
        out_rows, out_cols, out_vals = [], [], []
        for block in self.blocks:
            texts_all = _TEXTS[block.texts](inputs)
            texts, inverse = distinct(texts_all)  # a heading shared by many sentences once
            for part in block.parts:
                rows, cols, values = self._part_values(part, texts)
                if len(texts) != len(texts_all):
                    rows, cols, values = _spread(rows, cols, values, inverse, len(texts))
                out_rows.append(rows)
                out_cols.append(cols + part.offset)
                out_vals.append(values * block.weight)
        return np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_vals)

    # --- scores ------------------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Log-odds of each theme, shape (n, 4)."""
        inputs = _inputs.as_inputs(X)
        return self._decision(len(inputs), lambda name: _TEXTS[name](inputs))

    def clean_section_proba(self, texts: list[str]) -> np.ndarray:
        """:meth:`predict_proba` of sections given as clean text alone (cut from an
        :class:`~renovml.Article`), for a scorer that :attr:`reads_sections_only`: no
        input dicts to build, check and clean again.

        Raises
        ------
        ValueError
            If a feature block reads a section's context.
        """
        if not self.reads_sections_only:
            raise ValueError("this scorer reads the sections' context: use predict_proba")
        return _sigmoid(self._decision(len(texts), lambda name: texts))

    def _decision(self, n: int, texts_of) -> np.ndarray:
        """Log-odds of n inputs whose texts, for a block, are ``texts_of(block.texts)``."""
        out = np.tile(self.intercept, (n, 1))
        if not n:
            return out
        # Linear scores add up by block: score each distinct text of a block once (a heading
        # is the context of every sentence under it) and hand its score to every input.
        n_themes = len(self.intercept)
        for block in self.blocks:
            texts_all = texts_of(block.texts)
            texts, inverse = distinct(texts_all)
            scores = np.zeros((len(texts), n_themes))
            for part in block.parts:
                if part.kind == "chars" and NATIVE is None:
                    _warn_native_missing()
                vocabulary = (part.native if part.kind == "chars" and NATIVE is not None
                              else None)
                if vocabulary is not None:
                    # One pass per text in C: look up, count, weigh, normalise, score.
                    vocabulary.scores(prepare(texts, part.lowercase), self._rows(part),
                                      part.sublinear, scores)
                    continue
                rows, cols, values = self._part_values(part, texts)
                cols = cols + part.offset
                for k in range(n_themes):
                    scores[:, k] += np.bincount(rows, weights=values * self.coef[k, cols],
                                                minlength=len(texts))
            scores *= block.weight
            out += scores if len(texts) == n else scores[inverse]
        return out

    def _rows(self, part: _Part) -> np.ndarray:
        """For the native scorer, one row per feature of the part: its idf, then idf times
        its weight for each theme (C order); cached per process, rebuilt when ``coef`` or
        the part's idf is replaced (both are read-only, so they cannot change in place)."""
        cache = self.__dict__.setdefault("_part_weights", {})
        idf = part.arrays["idf"]
        built = cache.get(part.offset)
        if built is None or built[0] is not self.coef or built[1] is not idf:
            column = np.asarray(idf, dtype=np.float64)[:, None]
            weights = self.coef[:, part.offset:part.offset + part.width].T
            rows = np.ascontiguousarray(np.hstack([column, column * weights]), dtype=np.float64)
            built = cache[part.offset] = (self.coef, idf, rows)
        return built[2]

    @property
    def coef(self) -> np.ndarray:
        """The weights, shape (themes, features); read-only (set a new array to change them)."""
        return self._coef

    @coef.setter
    def coef(self, value) -> None:
        self._coef = _read_only(value)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_part_weights", None)
        return state

    def __setstate__(self, state) -> None:
        if "coef" in state:  # a scorer pickled before coef became a property
            state["_coef"] = state.pop("coef")
        self.__dict__.update(state)
        self._freeze()

    def _freeze(self) -> None:
        """Make every array read-only. Tables and weight rows are built from them once per
        process: an edit in place would go unseen, so an edit must replace the array."""
        self._coef = _read_only(self._coef)
        self.intercept = _read_only(self.intercept)
        for block in self.blocks:
            for part in block.parts:
                part.arrays = {k: _read_only(v) for k, v in part.arrays.items()}

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each theme, shape (n, 4), columns in the order of THEMES."""
        return _sigmoid(self.decision_function(X))

    def contributions(self, text: str) -> list[tuple[str, str, np.ndarray]]:
        """For a clean section text alone: (part kind, feature name, per-theme contribution to
        the log-odds) of each of its section features, for explanations."""
        out = []
        block = self.blocks[0]
        for part in block.parts:
            rows, cols, values = self._part_values(part, [text])
            for col, value in zip(cols, values):
                name = THEMES[col] if part.kind == "lexicon" else str(part.names[col])
                out.append((part.kind, name,
                            value * block.weight * self.coef[:, part.offset + col]))
        return out


def _compile_part(transformer, offset: int) -> _Part:
    from renovml.model.ngrams import CharNgramTfidf, WordNgramTfidf

    names = (np.array([str(n) for n in transformer.get_feature_names_out()], dtype=str)
             if hasattr(transformer, "get_feature_names_out") and not hasattr(transformer, "func")
             else np.zeros(0, dtype="<U1"))
    if isinstance(transformer, CharNgramTfidf):
        return _Part("chars", offset, len(names), names,
                     {"keys": transformer.keys_, "column_of": transformer.column_of_,
                      "idf": transformer.idf_}, transformer.sublinear_tf, transformer.lowercase,
                     tuple(transformer.ngram_range))
    if isinstance(transformer, WordNgramTfidf):
        return _Part("words", offset, len(names), names,
                     {"unigram_column": transformer.unigram_column_,
                      "bigram_keys": transformer.bigram_keys_,
                      "bigram_column": transformer.bigram_column_, "idf": transformer.idf_},
                     transformer.sublinear_tf,
                     words=np.array(sorted(transformer.word_ids_, key=transformer.word_ids_.get),
                                    dtype=str))
    if getattr(transformer, "func", None) is not None and transformer.func.__name__ == (
            "lexicon_features"):
        return _Part("lexicon", offset, len(THEMES), np.array(THEMES, dtype=str))
    raise TypeError(f"cannot compile a feature transformer of type {type(transformer).__name__}")


def compile_classifier(classifier) -> CompiledScorer:
    """A :class:`CompiledScorer` that gives ``classifier.predict_proba``'s numbers.

    Raises
    ------
    TypeError
        If the pipeline holds a feature transformer this module does not know.
    """
    pipeline = classifier.pipeline_
    union = pipeline.named_steps["features"]
    weights = union.transformer_weights or {}
    blocks, offset = [], 0
    for name, block in union.transformer_list:
        text_step, features = block.steps[0][1], block.steps[1][1]
        texts = text_step.func.__name__
        if _TEXTS.get(texts) is not text_step.func:
            raise TypeError(f"block {name!r} reads its texts with an unknown function")
        parts = []
        for transformer in (t for _, t in getattr(features, "transformer_list",
                                                  [(None, features)])):
            part = _compile_part(transformer, offset)
            offset += part.width
            parts.append(part)
        blocks.append(_Block(texts, float(weights.get(name, 1.0)), parts))
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    head = pipeline.named_steps["classifier"]
    if not (isinstance(head, OneVsRestClassifier)
            and all(isinstance(e, LogisticRegression) for e in head.estimators_)):
        raise TypeError(f"only one logistic regression per theme compiles, not "
                        f"{type(head).__name__}")
    estimators = head.estimators_
    coef = np.vstack([np.asarray(e.coef_).ravel() for e in estimators])
    if coef.shape[1] != offset:
        raise TypeError(f"the classifier has {coef.shape[1]} weights for {offset} features")
    intercept = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])
    return CompiledScorer(blocks, coef, intercept)
