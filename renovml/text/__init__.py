"""Raw bytes -> clean, located sections: the text layer of renovml.

    read_text / decode_bytes -> (extract_main_text for HTML) -> clean -> sections

Imports nothing of renovml but :mod:`renovml.errors` and :mod:`renovml.themes`.
"""

from renovml.text.cleaning import (
    CLEAN_STEPS,
    NORMALIZE_STEPS,
    clean,
    clean_with_metadata,
    collapse_doubled_punctuation,
    drop_duplicate_paragraphs,
    extract_metadata,
    normalize,
    normalize_whitespace,
    normalize_width,
    remove_chrome_lines,
    remove_metadata_header,
    remove_related_headlines,
    replace_lone_surrogates,
    strip_html,
    strip_pinyin_annotations,
    tidy_lines,
    to_simplified,
)
from renovml.text.encoding import decode_bytes, open_text, read_text
from renovml.text.markup import extract_main_text
from renovml.text.sections import UNITS, Article, Section, sections

__all__ = [
    "CLEAN_STEPS",
    "NORMALIZE_STEPS",
    "UNITS",
    "Article",
    "Section",
    "clean",
    "clean_with_metadata",
    "collapse_doubled_punctuation",
    "decode_bytes",
    "drop_duplicate_paragraphs",
    "extract_main_text",
    "extract_metadata",
    "normalize",
    "normalize_whitespace",
    "normalize_width",
    "open_text",
    "read_text",
    "remove_chrome_lines",
    "remove_metadata_header",
    "remove_related_headlines",
    "replace_lone_surrogates",
    "sections",
    "strip_html",
    "strip_pinyin_annotations",
    "tidy_lines",
    "to_simplified",
]
