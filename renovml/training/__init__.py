"""Annotated corpus -> evaluated, fitted model: corpus format, grouped CV, metrics, cards.

May import :mod:`renovml.text` and :mod:`renovml.model`. The names below are
imported on first use.
"""

import importlib

_EXPORTS = {
    "train": "renovml.training.trainer",
    "evaluate": "renovml.training.trainer",
    "load_corpus": "renovml.training.trainer",
    "TrainingResult": "renovml.training.trainer",
    "CANDIDATES": "renovml.training.trainer",
    "Config": "renovml.training.cv",
    "read_corpus": "renovml.training.corpus",
    "validate_corpus": "renovml.training.corpus",
    "corpus_stats": "renovml.training.corpus",
    "corpus_hash": "renovml.training.corpus",
    "is_reserved": "renovml.training.corpus",
    "CorpusProblem": "renovml.training.corpus",
    "GENRES": "renovml.training.corpus",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'renovml.training' has no attribute {name!r}")
