"""Sections -> model inputs: each section's text with its heading and neighbours.

The classifier reads a section together with its context: the nearest heading
above it (一、… / （一）… in plans and reports) and its neighbouring sections.
The same function builds the context for the corpus at training time and for
``renovml.sections`` output at prediction time, so the two never drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["is_heading", "with_context"]

_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|"
    r"第[一二三四五六七八九十\d]{1,3}[章节条部分]|\d{1,2}[、.．](?!\d))"
)
_SENTENCE_END = re.compile("[。！？；…]$")


def is_heading(text: str) -> bool:
    """Whether a paragraph reads as a heading: numbered, or short with no sentence end."""
    text = text.strip()
    if not text or len(text) > 40:
        return False
    if _NUMBERED.match(text):
        return not _SENTENCE_END.search(text) or len(text) <= 20
    return not _SENTENCE_END.search(text) and len(text) <= 30


def with_context(paragraphs: Sequence[Sequence[str]], unit: str, *,
                 clean: bool = False) -> list[dict]:
    """Model inputs for the sections of one article.

    Parameters
    ----------
    paragraphs : sequence of sequences of str
        The article's paragraphs, each as its sentences in order.
    unit : {"sentence", "paragraph"}
    clean : bool
        Whether the texts are clean already (cut from an :class:`~renovml.Article`),
        so the features need not clean them again.

    Returns
    -------
    list of dict
        One ``{"text", "heading", "prev", "next", "paragraph", "title"}`` per
        section, in order. ``heading`` is the nearest heading paragraph above the
        section (a heading's own heading is the one above it); ``paragraph`` is
        the paragraph a sentence sits in; ``title`` is the article's first
        paragraph when it is short enough to be its headline (60 characters).
    """
    if unit not in ("sentence", "paragraph"):
        raise ValueError(f"unit must be 'sentence' or 'paragraph', got {unit!r}")
    units: list[tuple[str, str, str]] = []
    heading = ""
    title = ""
    for p, sentences in enumerate(paragraphs):
        text = "".join(sentences)
        if p == 0 and len(text) <= 60:
            title = text
        if unit == "paragraph":
            units.append((text, heading, text))
        else:
            units.extend((s, heading, text) for s in sentences)
        if is_heading(text):
            heading = text
    out = []
    for i, (text, head, paragraph) in enumerate(units):
        out.append({
            "text": text,
            "heading": head,
            "prev": units[i - 1][0] if i else "",
            "next": units[i + 1][0] if i + 1 < len(units) else "",
            "paragraph": paragraph,
            "title": title,
            "clean": clean,
        })
    return out
