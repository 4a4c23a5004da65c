"""Errors raised by renovml.

Every error derives from :class:`RenovmlError` and from the built-in error a
caller would naturally catch, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "BinaryInputError",
    "CorpusError",
    "DecodingError",
    "DependencyError",
    "InputError",
    "RenovmlError",
]


class RenovmlError(Exception):
    """Base class of every error raised by renovml."""


class InputError(RenovmlError, ValueError):
    """An input article could not be turned into text."""


class BinaryInputError(InputError):
    """The input looks like a binary file, not text."""


class DecodingError(InputError, UnicodeError):
    """The input is text in an encoding renovml cannot identify."""


class CorpusError(RenovmlError, ValueError):
    """An annotated corpus breaks the annotation format."""


class ArtifactError(RenovmlError, OSError):
    """A model artifact is missing, tampered with, or incompatible."""


class DependencyError(RenovmlError, ImportError):
    """An optional package a feature needs is not installed."""
