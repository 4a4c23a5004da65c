"""Clean text -> sections: paragraphs and sentences that know where they sit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from renovml.text import patterns as P
from renovml.text.cleaning import clean_with_metadata
from renovml.text.encoding import read_text

__all__ = ["UNITS", "Article", "Section", "sections"]

Unit = Literal["paragraph", "sentence"]
UNITS: tuple[str, ...] = ("paragraph", "sentence")

# A piece with fewer than four word characters (ideographs, letters, digits)
# joins a neighbour: see _patterns.FOUR_WORD_CHARS.


@dataclass(frozen=True, slots=True)
class Section:
    """A paragraph or sentence of a clean article.

    ``text == clean_text[start:end]`` for the clean text it was cut from.
    ``id`` is stable for a given text: ``p3`` is the fourth paragraph,
    ``p3.s1`` the second sentence of that paragraph.
    """

    id: str
    unit: str
    text: str
    start: int
    end: int
    paragraph: int = 0


def _word_chars(text: str, start: int, end: int) -> int:
    """How many word characters (ideographs, letters, digits) ``text[start:end]`` holds,
    counted up to four: the most a piece needs to stand alone."""
    if P.FOUR_WORD_CHARS.search(text, start, end):  # most pieces: one call in C
        return 4
    count = 0
    for _ in P.WORD_CHAR.finditer(text, start, end):
        count += 1
        if count == 4:
            break
    return count


def _merge_short(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Join a span too short to stand alone onto its predecessor (or successor).

    Each span's word characters are counted once, so a long run of short pieces
    costs time linear in the text.
    """
    merged: list[tuple[int, int]] = []
    carry: int | None = None  # start of short leading spans waiting for a successor
    carried = 0  # word characters in the carried spans
    for start, end in spans:
        words = _word_chars(text, start, end)
        if carry is not None:
            start, words = carry, min(4, words + carried)
            carry = None
        if words < 4:
            if merged:
                merged[-1] = (merged[-1][0], end)
                continue
            carry, carried = start, words
            continue
        merged.append((start, end))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((carry, spans[-1][1]))
    return merged


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        start, end = _strip_span(text, pos, pos + len(line))
        if end > start:
            spans.append((start, end))
        pos += len(line) + 1
    return _merge_short(spans, text)


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    piece_start = start
    for m in P.SENTENCE_BOUNDARY.finditer(text, start, end):
        spans.append((piece_start, m.end()))
        piece_start = m.end()
    spans.append((piece_start, end))
    # A paragraph joined from several lines still breaks sentences at line ends.
    split = spans
    if text.find("\n", start, end) != -1:  # most paragraphs are one line: nothing to do
        split = []
        for s, e in spans:
            cut = s
            while (nl := text.find("\n", cut, e)) != -1:
                split.append((cut, nl))
                cut = nl + 1
            split.append((cut, e))
    stripped = [_strip_span(text, s, e) for s, e in split]
    return _merge_short([(s, e) for s, e in stripped if e > s], text)


def sections(text: str, unit: Unit = "sentence") -> list[Section]:
    """Split clean text into paragraphs or sentences.

    Parameters
    ----------
    text : str
        Clean text, as returned by :func:`renovml.clean` (one paragraph a line).
    unit : {"sentence", "paragraph"}
        Paragraphs are lines; sentences end at 。！？；…, at the close of a
        quotation that ends a sentence, and at line ends. Empty pieces are
        dropped and a piece with fewer than four word characters joins its
        neighbour.

    Returns
    -------
    list of Section
        In text order; ``section.text == text[section.start:section.end]``.

    Raises
    ------
    ValueError
        If ``unit`` is not one of ``UNITS``.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if not isinstance(text, str):
        raise TypeError(f"sections() expects str, got {type(text).__name__}")
    return list(_iter_sections(text, unit))


def _iter_sections(text: str, unit: str) -> Iterator[Section]:
    for p, (start, end) in enumerate(_paragraph_spans(text)):
        if unit == "paragraph":
            yield Section(f"p{p}", "paragraph", text[start:end], start, end, p)
            continue
        for s, (s_start, s_end) in enumerate(_sentence_spans(text, start, end)):
            yield Section(f"p{p}.s{s}", "sentence", text[s_start:s_end], s_start, s_end, p)


@dataclass(frozen=True)
class Article:
    """A cleaned article: its text, the metadata header found in it, and its sections.

    Build one with :meth:`from_text` (raw text) or :meth:`from_path`.
    """

    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def from_text(cls, raw: str, *, id: str | None = None) -> Article:
        """Clean raw scraped text (tags, chrome, traditional script...) into an Article."""
        text, metadata = clean_with_metadata(raw)
        return cls(text=text, metadata=metadata, id=id)

    @classmethod
    def from_path(cls, path: str | os.PathLike, *, id: str | None = None) -> Article:
        """Read a file (UTF-8, GB18030/GBK or Big5), clean it and return an Article."""
        return cls.from_text(read_text(path), id=str(path) if id is None else id)

    # Each unit is cut once per article and only when asked for (tagging asks for both;
    # a huge article tagged in chunks only for its paragraphs).
    @cached_property
    def _paragraph_tuple(self) -> tuple[Section, ...]:
        return tuple(Section(f"p{p}", "paragraph", self.text[start:end], start, end, p)
                     for p, (start, end) in enumerate(_paragraph_spans(self.text)))

    @cached_property
    def _sentence_tuple(self) -> tuple[Section, ...]:
        text = self.text
        return tuple(Section(f"p{p.paragraph}.s{s}", "sentence", text[start:end], start, end,
                             p.paragraph)
                     for p in self._paragraph_tuple
                     for s, (start, end) in enumerate(_sentence_spans(text, p.start, p.end)))

    @property
    def paragraphs(self) -> list[Section]:
        """The article's paragraphs."""
        return list(self._paragraph_tuple)

    @property
    def sentences(self) -> list[Section]:
        """The article's sentences."""
        return list(self._sentence_tuple)

    def sections(self, unit: Unit = "paragraph") -> list[Section]:
        """The article's sections of the given unit."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        return self.paragraphs if unit == "paragraph" else self.sentences
