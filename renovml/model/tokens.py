"""Clean text -> tokens: renovml's own jieba tokenizer, the domain lexicon, stop words.

The tokenizer is built lazily, once per process, with the domain lexicon added;
jieba's module-level default tokenizer is never touched. The saved pipeline
refers to :func:`tokenize`, a module-level function, so it pickles cleanly.
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources

from renovml.errors import DependencyError
from renovml.themes import THEMES

__all__ = ["BACKENDS", "lexicon", "lexicon_counts", "set_backend", "token_cache", "tokenize",
           "tokenizer"]

_lock = threading.Lock()
_tokenizer = None
_TOKEN_KEEP = re.compile(r"[\w%]")
_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")


def _resource_lines(name: str) -> list[str]:
    text = resources.files("renovml.resources").joinpath(name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def lexicon() -> dict[str, str]:
    """The domain lexicon: term -> theme id (or ``"-"`` for dictionary-only words)."""
    terms = {}
    for line in _resource_lines("lexicon.txt"):
        term, theme = line.split("\t")
        if theme != "-" and theme not in THEMES:
            raise ValueError(f"lexicon.txt: theme {theme!r} of {term!r} is not one of {THEMES}")
        terms[term] = theme
    return terms


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(_resource_lines("stopwords.txt"))


BACKENDS = ("jieba", "rjieba")
_backend = "jieba"
_rjieba = None


def set_backend(name: str) -> None:
    """Choose the word segmenter for this process: ``"jieba"`` (default) or ``"rjieba"``.

    rjieba (a Rust port of jieba, an optional extra) segments several times faster;
    it is given the same domain lexicon, and its tokens differ from jieba's on a small
    share of texts, so scores can differ slightly. The shipped model's figures are
    measured with jieba.
    """
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"tokenizer backend must be one of {BACKENDS}, got {name!r}")
    if name == "rjieba":
        try:
            import rjieba  # noqa: F401
        except ImportError:
            raise DependencyError("the rjieba backend needs the rjieba package: "
                                  "pip install 'renovml[fast]'") from None
    _backend = name
    if _cache is not None:
        _cache.clear()


def _rjieba_tokenizer():
    global _rjieba
    if _rjieba is None:
        with _lock:
            if _rjieba is None:
                import rjieba

                tok = rjieba.Jieba()
                for term in lexicon():
                    tok.add_word(term, max(tok.suggest_freq(term), 1000), "n")
                _rjieba = tok
    return _rjieba


def tokenizer():
    """renovml's private :class:`jieba.Tokenizer`, built on first use with the lexicon."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba_logger = logging.getLogger("jieba")
                level = jieba_logger.level
                jieba_logger.setLevel(logging.WARNING)  # jieba announces its cache loading
                try:
                    tok = jieba.Tokenizer()
                    tok.initialize()
                finally:
                    jieba_logger.setLevel(level)
                for term in lexicon():
                    tok.add_word(term, freq=max(tok.suggest_freq(term, tune=False), 1000))
                _tokenizer = tok
    return _tokenizer


_cache: dict[str, list[str]] | None = None


@contextmanager
def token_cache():
    """Memoise :func:`tokenize` inside the block (training tokenizes each text once per
    fold otherwise); outside it nothing is kept, so long batch runs stay flat in memory."""
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer


def tokenize(text: str) -> list[str]:
    """Words of a clean text: jieba with the domain lexicon, lower-cased, without
    punctuation, stop words or bare numbers (a number keeps its unit: 亿元)."""
    if _cache is not None:
        hit = _cache.get(text)
        if hit is None:
            hit = _cache[text] = _tokenize(text)
        return hit
    return _tokenize(text)


def _tokenize(text: str) -> list[str]:
    out = []
    words = (_rjieba_tokenizer().cut(text, True) if _backend == "rjieba"
             else tokenizer().lcut(text, HMM=True))
    for word in words:
        word = word.strip().lower()
        if not word or not _TOKEN_KEEP.search(word) or word in _stop_words():
            continue
        out.append("<num>" if _DIGITS.match(word) else word)
    return out


# One compiled pattern per theme, in the order of THEMES; built on first use and published
# in one assignment under the lock, so a thread never sees a half-built set.
_lexicon_patterns: tuple[re.Pattern, ...] | None = None
_lexicon_lock = threading.Lock()


def _lexicon_pattern_set() -> tuple[re.Pattern, ...]:
    global _lexicon_patterns
    patterns = _lexicon_patterns
    if patterns is None:
        with _lexicon_lock:
            patterns = _lexicon_patterns
            if patterns is None:
                terms = lexicon()
                built = []
                for theme in THEMES:
                    ours = sorted((t for t, th in terms.items() if th == theme), key=len, reverse=True)
                    built.append(re.compile("|".join(map(re.escape, ours)), re.I))
                patterns = _lexicon_patterns = tuple(built)
    return patterns


def lexicon_counts(text: str) -> list[int]:
    """For each theme, how many occurrences of its lexicon terms the text holds.

    Parameters
    ----------
    text : str
        A clean text.

    Returns
    -------
    list of int
        One count per theme, in the order of :data:`renovml.THEMES`. Safe to call from
        several threads at once, the first call included.
    """
    return [len(pattern.findall(text)) for pattern in _lexicon_pattern_set()]
