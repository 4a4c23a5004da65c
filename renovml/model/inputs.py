"""Model inputs: what the features read from a section and its context.

Plain functions over plain data, free of scikit-learn: the fitted pipeline
refers to them by name (so the saved model pickles without a tokenizer in it),
and the compiled scorer that predicts without scikit-learn calls them too.
"""

from __future__ import annotations

from renovml.text.cleaning import normalize

__all__ = ["as_inputs", "heading_texts", "neighbour_texts", "paragraph_texts", "section_texts",
           "title_texts"]


def as_inputs(items) -> list[dict]:
    """Normalise model inputs: a str becomes ``{"text": str}``; dicts pass through."""
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"text": item})
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(item)
        else:
            raise TypeError(f"expected str or a dict with a 'text' string, got {item!r:.60}")
    return out


def _cleaned(x: dict, text: str) -> str:
    # Sections cut from an Article are clean already (``clean: True``); anything else, such
    # as a user's raw sentence or a traditional-script corpus text, is normalised here. Not
    # cleaned: whether a line is page chrome is a decision about a page, not a section.
    return text if x.get("clean") else normalize(text)


def section_texts(inputs) -> list[str]:
    """The cleaned text of each input."""
    return [_cleaned(x, x["text"]) for x in inputs]


def heading_texts(inputs) -> list[str]:
    """The cleaned heading above each input ("" when there is none)."""
    return [_cleaned(x, x.get("heading", "")) for x in inputs]


def neighbour_texts(inputs) -> list[str]:
    """The cleaned text of each input's neighbours, on two lines."""
    # Joined so that clean text stays a fixed point of clean(): no empty line when a side
    # is missing, so inputs marked clean and inputs cleaned here give the same features.
    return [_cleaned(x, "\n".join(t for t in (x.get("prev", ""), x.get("next", "")) if t))
            for x in inputs]


def paragraph_texts(inputs) -> list[str]:
    """The cleaned paragraph each input sits in ("" when not known)."""
    return [_cleaned(x, x.get("paragraph", "")) for x in inputs]


def title_texts(inputs) -> list[str]:
    """The cleaned headline of each input's article ("" when not known)."""
    return [_cleaned(x, x.get("title", "")) for x in inputs]
