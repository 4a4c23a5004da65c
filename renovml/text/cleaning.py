"""Cleaning: a chain of small ``str -> str`` steps, and :func:`clean` that runs them.

Each step is public and can be used alone. :func:`clean` runs :data:`CLEAN_STEPS`
in order and is idempotent: ``clean(clean(x)) == clean(x)``. Chrome rules match
whole lines by their shape, so a content sentence that merely mentions 来源 or
分享 is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

from renovml.text import patterns as P
from renovml.text.chrome import chrome_kinds

__all__ = [
    "CLEAN_STEPS",
    "NORMALIZE_STEPS",
    "clean",
    "clean_with_metadata",
    "collapse_doubled_punctuation",
    "drop_duplicate_paragraphs",
    "extract_metadata",
    "normalize",
    "normalize_whitespace",
    "normalize_width",
    "remove_chrome_lines",
    "remove_metadata_header",
    "remove_related_headlines",
    "replace_lone_surrogates",
    "strip_html",
    "strip_pinyin_annotations",
    "to_simplified",
    "tidy_lines",
]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(text: str) -> str:
    """Make each lone surrogate U+FFFD. A JSON record can spell half of a character
    (``"\\ud83d"``, an emoji cut by a crawler); it is no text, cannot be encoded, and would
    stop the script conversion."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def strip_html(text: str) -> str:
    """Remove HTML/XML tags, comments, scripts and styles; unescape entities.

    Block-level tags become line breaks so paragraphs stay apart.
    """
    if "<" in text:
        text = _drop_raw_text(text)
        text = P.BLOCK_TAG.sub("\n", text)
        text = P.HTML_TAG.sub("", text)
    # Unescape to a fixed point (&amp;lt; is two layers deep) and strip tags the
    # entities spelled out, so a second pass finds nothing left to do.
    for _ in range(4):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = P.HTML_TAG.sub("", P.BLOCK_TAG.sub("\n", unescaped))
    return text


def _drop_raw_text(text: str) -> str:
    """Remove comments and script/style/noscript elements in one left-to-right pass.

    An unclosed one runs to the end of the text, as in a browser.
    """
    out, pos = [], 0
    while (m := P.RAW_TEXT_START.search(text, pos)) is not None:
        out.append(text[pos:m.start()])
        if m.group(1) is None:  # a comment
            end = text.find("-->", m.end())
            pos = len(text) if end == -1 else end + 3
            continue
        close = P.RAW_TEXT_END[m.group(1).lower()].search(text, m.end())
        if close is None:
            pos = len(text)
            continue
        end = text.find(">", close.end())
        pos = len(text) if end == -1 else end + 1
    out.append(text[pos:])
    return "".join(out)


def normalize_whitespace(text: str) -> str:
    """Drop zero-width characters; make NBSP, full-width and other spaces plain.

    Line breaks become ``\\n``; runs of spaces become one; spaces between two
    Chinese punctuation are removed.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace(
        "\u2029", "\n"
    )
    text = P.ZERO_WIDTH.sub("", text)
    text = P.ODD_SPACE.sub(" ", text)
    text = P.SPACE_RUN.sub(" ", text)
    return _drop_spaces_near_punctuation(text)


def _drop_spaces_near_punctuation(text: str) -> str:
    """Remove every run of spaces that touches Chinese punctuation on either side."""
    if " " not in text:
        return text
    return P.CJK_PUNCT_THEN_SPACES.sub(r"\1", P.SPACES_BEFORE_CJK_PUNCT.sub("", text))


def strip_pinyin_annotations(text: str) -> str:
    """Remove pinyin glued to a character: ``現(xiàn)`` becomes ``現``."""
    if "(" not in text and "（" not in text:
        return text
    return P.PINYIN_ANNOTATION.sub("", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified with OpenCC (``t2s``)."""
    converter = _t2s()
    # t2s is not always a fixed point in one pass; converge so clean stays idempotent.
    for _ in range(3):
        converted = converter.convert(text)
        if converted == text:
            break
        text = converted
    return text


def normalize_width(text: str) -> str:
    """Make half-width , : ; ? ! touching Chinese text full-width, and
    full-width letters and digits half-width."""
    text = P.FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
    for half, pattern in P.HALF_WIDTH_MARK.items():
        if half in text:
            text = pattern.sub(P.HALF_TO_FULL[half], text)
    return _drop_spaces_near_punctuation(text)


def _drop_commas_beside_marks(text: str) -> str:
    """Remove every run of ``，`` that touches 、。；：！？ on either side."""
    if not P.COMMA_BESIDE_MARK.search(text):
        return text

    def keep(m: re.Match) -> str:
        start, end = m.span()
        touches = (start and text[start - 1] in P.MARKS_BESIDE_COMMA) or (
            end < len(text) and text[end] in P.MARKS_BESIDE_COMMA)
        return "" if touches else m.group()

    return P.COMMA_RUN.sub(keep, text)


def collapse_doubled_punctuation(text: str) -> str:
    """Repair doubled or stray marks: ``，，`` -> ``，``, ``，、`` -> ``、``, ``，。`` -> ``。``."""
    for _ in range(3):
        fixed = P.REPEATED_MARK.sub(r"\1", _drop_commas_beside_marks(text))
        if fixed == text:
            break
        text = fixed
    return text


def remove_related_headlines(text: str) -> str:
    """Remove lists of related-article headlines: those under a 相关新闻/推荐阅读 header,
    and headline-shaped lines after the article once its closing chrome has begun.

    :func:`remove_chrome_lines` removes these too; this step removes only them.
    """
    lines = text.split("\n")
    kinds = chrome_kinds(lines)
    return "\n".join(ln for ln, kind in zip(lines, kinds) if kind != "related")


def remove_chrome_lines(text: str) -> str:
    """Remove the lines of page chrome: bylines, sources, dates, toolbars, share prompts,
    breadcrumbs, keyword lists, counters, captions, headline lists, pagination, comment and
    forum chrome, contact and copyright lines (:mod:`renovml.text.chrome` says how).

    A line of the article that merely mentions 来源 or 编辑 stays.
    """
    lines = text.split("\n")
    kinds = chrome_kinds(lines)
    return "\n".join(ln for ln, kind in zip(lines, kinds) if kind is None and ln.strip())


def _metadata_pairs(line: str) -> list[tuple[str, str]] | None:
    """Parse a line made only of ``key value`` pairs, or return None."""
    if len(line) > 400 or not P.METADATA_LINE_START.match(line):  # header lines are short
        return None
    matches = list(P.METADATA_KEY.finditer(line))
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end():end].strip(" |｜:：")
        if len(value) > 60 or any(c in value for c in "。！？；"):
            return None
        pairs.append(("".join(m.group(1).split()), value))
    return pairs


def extract_metadata(text: str) -> tuple[str, dict[str, str]]:
    """Split a metadata header (文号/发文日期/发布机构/标题/来源...) from the body.

    Returns the text without those lines, and the metadata as a dict whose
    keys are the Chinese field names; the first value seen for a key wins.
    A key alone on its line takes the next line as its value when that line
    is short and is not itself a sentence.
    """
    lines = text.split("\n")
    metadata: dict[str, str] = {}
    kept: list[str] = []
    i = 0
    while i < len(lines):
        pairs = _metadata_pairs(lines[i].strip())
        if pairs is None:
            kept.append(lines[i])
            i += 1
            continue
        i += 1
        if len(pairs) == 1 and not pairs[0][1] and i < len(lines):
            following = lines[i].strip()
            if (following and len(following) <= 40 and _metadata_pairs(following) is None
                    and not any(c in following for c in P.SENTENCE_END)):
                pairs = [(pairs[0][0], following)]
                i += 1
        for key, value in pairs:
            if value and key not in metadata:
                metadata[key] = value
    return "\n".join(kept), metadata


def remove_metadata_header(text: str) -> str:
    """Remove metadata lines; :func:`extract_metadata` also returns their values."""
    return extract_metadata(text)[0]


def drop_duplicate_paragraphs(text: str, *, min_chars: int = 4) -> str:
    """Keep the first copy of every line printed more than once (a body printed
    twice, a title repeated above the text). Lines shorter than ``min_chars``
    are never dropped."""
    seen: set[str] = set()
    kept = []
    for line in text.split("\n"):
        key = line.strip()
        if len(key) >= min_chars:
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return "\n".join(kept)


def tidy_lines(text: str) -> str:
    """Strip every line, drop empty ones: one paragraph per line."""
    return "\n".join(s for ln in text.split("\n") if (s := ln.strip(" ")))


#: The steps :func:`clean` runs, in order.
CLEAN_STEPS: tuple[Callable[[str], str], ...] = (
    replace_lone_surrogates,
    strip_html,
    normalize_whitespace,
    strip_pinyin_annotations,
    normalize_width,
    to_simplified,
    collapse_doubled_punctuation,
    tidy_lines,
    remove_metadata_header,
    remove_chrome_lines,
    drop_duplicate_paragraphs,
    tidy_lines,
)


def clean(text: str) -> str:
    """Clean scraped article text for tagging.

    Parameters
    ----------
    text : str
        Raw text: may hold tags, pinyin annotations, traditional characters,
        doubled punctuation, odd spaces, page chrome and a duplicated body.

    Returns
    -------
    str
        Simplified Chinese text, one paragraph per line, no empty lines.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    """
    return clean_with_metadata(text)[0]


#: The steps that rewrite text without deciding what belongs to the article: what a
#: section (a sentence or paragraph given on its own) goes through.
NORMALIZE_STEPS: tuple[Callable[[str], str], ...] = (
    replace_lone_surrogates,
    strip_html,
    normalize_whitespace,
    strip_pinyin_annotations,
    normalize_width,
    to_simplified,
    collapse_doubled_punctuation,
    tidy_lines,
)


def normalize(text: str) -> str:
    """Normalise a section's text (tags, spaces, pinyin, width, script, punctuation) without
    removing any of its lines: :func:`clean` minus the page-level steps (metadata header,
    page chrome, duplicate paragraphs), which need the whole page to decide.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    for step in NORMALIZE_STEPS:
        text = step(text)
    return text


def clean_with_metadata(text: str) -> tuple[str, dict[str, str]]:
    """Like :func:`clean`, and also return the metadata header it removed."""
    if not isinstance(text, str):
        raise TypeError(f"clean() expects str, got {type(text).__name__}; "
                        "decode bytes with renovml.read_text first")
    metadata: dict[str, str] = {}
    for step in CLEAN_STEPS:
        if step is remove_metadata_header:
            text, metadata = extract_metadata(text)
        else:
            text = step(text)
    return text, metadata
