"""renovml: tag the sections of Chinese urban-renewal reports with four themes.

The text pipeline::

    raw bytes -> read_text -> clean -> sections

>>> import renovml
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

__version__ = "0.1.0"

__all__ = [
    "UNITS",
    "Article",
    "ArtifactError",
    "BinaryInputError",
    "CorpusError",
    "DecodingError",
    "InputError",
    "RenovmlError",
    "Section",
    "__version__",
    "clean",
    "decode_bytes",
    "read_text",
    "sections",
]
