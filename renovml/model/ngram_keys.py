"""N-gram keys: every n-gram of a batch of texts as one 64-bit integer, with numpy only.

A character takes 21 bits (every code point is below 2**21; it is stored + 1, so no
part of a key is zero and n-grams of different lengths never share a key). Used by
the scikit-learn transformers of :mod:`renovml.model.ngrams` to fit and by the
compiled scorer of :mod:`renovml.model.compiled` to predict.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["char_keys", "distinct", "key_to_str", "prepare"]

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses
_BITS = 21  # every code point is below 2**21; stored +1 so no key component is zero
_MASK = (1 << _BITS) - 1


def prepare(texts, lowercase: bool) -> list[str]:
    out = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        out.append(_WHITE_SPACES.sub(" ", text.lower() if lowercase else text))
    return out


def char_keys(texts: list[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(document index, n-gram key) of every n-gram occurrence of every text."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    if not len(texts) or not lengths.sum():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # surrogatepass: a lone surrogate (in text given as clean) is a code point like any other,
    # as the native scorer reads it.
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"),
                          dtype=np.uint32).astype(np.int64) + 1
    ends = np.cumsum(lengths)
    doc_of = np.repeat(np.arange(len(texts)), lengths)
    end_of = ends[doc_of]  # where each position's text ends
    positions = np.arange(len(codes))
    docs, keys = [], []
    low, high = ngram_range
    for n in range(low, high + 1):
        valid = positions + n <= end_of
        idx = positions[valid]
        key = codes[idx]
        for k in range(1, n):
            key = (key << _BITS) | codes[idx + k]
        docs.append(doc_of[idx])
        keys.append(key)
    return np.concatenate(docs), np.concatenate(keys)


def distinct(X) -> tuple[list, np.ndarray]:
    """The distinct items of ``X`` in first-seen order, and each item's index among them."""
    first: dict = {}
    inverse = np.fromiter((first.setdefault(x, len(first)) for x in X), dtype=np.int64)
    return list(first), inverse


def key_to_str(key: int) -> str:
    chars = []
    while key:
        chars.append(chr((key & _MASK) - 1))
        key >>= _BITS
    return "".join(reversed(chars))


