"""renovml: tag the sections of Chinese urban-renewal reports with four themes.

The chain::

    raw bytes -> read_text -> clean -> sections -> tokens -> features -> themes

>>> import renovml
>>> model = renovml.load()                      # the shipped model          # doctest: +SKIP
>>> model.tag(open("report.txt").read())       # every paragraph, themed    # doctest: +SKIP
>>> renovml.clean("老舊小區(qū)改造,,加裝電梯")
'老旧小区改造，加装电梯'
"""

from __future__ import annotations

import logging

from renovml._encoding import decode_bytes, read_text
from renovml._sections import UNITS, Article, Section, sections
from renovml.errors import (
    ArtifactError,
    BinaryInputError,
    CorpusError,
    DecodingError,
    InputError,
    RenovmlError,
)
from renovml.preprocessing import clean

logging.getLogger(__name__).addHandler(logging.NullHandler())

# The model half of the API pulls in scikit-learn; it is imported on first use so that
# `import renovml` for cleaning alone stays light.
_LAZY = {
    "ThemeModel": "renovml._model",
    "TaggedArticle": "renovml._model",
    "SectionThemes": "renovml._model",
    "ModelVersionWarning": "renovml._artifact",
    "THEMES": "renovml.corpus",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'renovml' has no attribute {name!r}")


def load(path=None, *, trusted: bool = False):
    """Load a theme model: the one shipped in the package by default.

    Parameters
    ----------
    path : path-like, optional
        An artifact written by ``train.py`` (or the directory holding it).
    trusted : bool
        Skip the SHA-256 check against the manifest, for a file you made yourself.

    Returns
    -------
    ThemeModel

    Raises
    ------
    ArtifactError
        If the file is missing, fails its hash check, or needs another scikit-learn.
    """
    from renovml._artifact import load as _load

    return _load(path, trusted=trusted)

__version__ = "0.1.0"

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
    "ThemeModel",
    "__version__",
    "clean",
    "decode_bytes",
    "load",
    "read_text",
    "sections",
]
