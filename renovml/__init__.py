"""renovml: tag the sections of Chinese urban-renewal reports with four themes.

The chain, one folder a stage::

    raw bytes -> text (renovml.text: read_text, clean, sections)
              -> themes (renovml.model: tokens, features, ThemeClassifier, ThemeModel)
    corpus -> renovml.training (train, evaluate, cards)
    renovml.batch and renovml.cli above them; renovml.themes and renovml.errors below all.

>>> import renovml
>>> model = renovml.load()                      # the shipped model          # doctest: +SKIP
>>> model.tag(open("report.txt").read())       # every paragraph, themed    # doctest: +SKIP
>>> renovml.clean("老舊小區(qū)改造,,加裝電梯")
'老旧小区改造，加装电梯'
"""

from __future__ import annotations

import logging

from renovml.errors import (
    ArtifactError,
    BinaryInputError,
    CorpusError,
    DecodingError,
    InputError,
    RenovmlError,
)
from renovml.text import UNITS, Article, Section, clean, decode_bytes, read_text, sections
from renovml.themes import THEMES

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

# The model and training halves of the API pull in scikit-learn; they are imported on
# first use so that `import renovml` for cleaning alone stays light.
_LAZY = {
    "ThemeModel": "renovml.model.theme_model",
    "TaggedArticle": "renovml.model.theme_model",
    "SectionThemes": "renovml.model.theme_model",
    "ThemeClassifier": "renovml.model.estimator",
    "ModelVersionWarning": "renovml.model.artifact",
    "train": "renovml.training.trainer",
    "evaluate": "renovml.training.trainer",
    "TrainingResult": "renovml.training.trainer",
    "read_corpus": "renovml.training.corpus",
    "validate_corpus": "renovml.training.corpus",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'renovml' has no attribute {name!r}")


def load(path=None, *, trusted: bool = False):
    """Load a theme model: the one shipped in the package by default.

    A model file is a pickle, and loading one runs whatever code it holds. So the
    shipped model (and any byte-for-byte copy of it) is loaded only if its SHA-256
    equals the one pinned in renovml's code, and any other file only with
    ``trusted=True``.

    Parameters
    ----------
    path : path-like, optional
        An artifact written by :func:`renovml.train` / ``train.py`` (or its directory).
        Default: the shipped model, checked against the pinned hash whatever ``trusted``
        says.
    trusted : bool
        You vouch for the file's origin (you made it, or trust its maker as you trust
        code you run), so renovml may unpickle it and run its code. A ``manifest.json``
        beside it is still validated and must match the file: trust in its origin says
        nothing about whether this copy is intact. Default False.

    Returns
    -------
    ThemeModel

    Raises
    ------
    ArtifactError
        If the file is missing, is not trusted, differs from its pinned hash or its
        manifest, has a malformed manifest, is not a renovml model, or needs another
        scikit-learn; the message names the file and what was expected.
    """
    from renovml.model.artifact import load as _load

    return _load(path, trusted=trusted)


__all__ = [
    "THEMES",
    "UNITS",
    "Article",
    "ArtifactError",
    "BinaryInputError",
    "CorpusError",
    "DecodingError",
    "InputError",
    "ModelVersionWarning",
    "RenovmlError",
    "Section",
    "SectionThemes",
    "TaggedArticle",
    "ThemeClassifier",
    "ThemeModel",
    "TrainingResult",
    "__version__",
    "clean",
    "decode_bytes",
    "evaluate",
    "load",
    "read_corpus",
    "read_text",
    "sections",
    "train",
    "validate_corpus",
]
