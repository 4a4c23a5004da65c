"""The labelled page set in tests/data/pages: reading it and scoring a cleaner on it.

Each page is a scraped page's text, line by line, every line marked ``body`` or
``chrome`` (with the kind of chrome). A cleaner is scored line by line: a line
survives when its normalised text is a line of the cleaner's output.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from renovml.text import cleaning

PAGES_DIR = Path(__file__).resolve().parent / "data" / "pages"

KINDS = ("navigation", "breadcrumb", "byline", "source", "datetime", "metadata", "toolbar",
         "share", "keyword_list", "counter", "caption", "related", "pagination", "comment",
         "forum", "contact", "copyright")
LAYOUTS = ("central_gov_portal", "provincial_gov_portal", "city_gov_portal",
           "county_media_centre", "news_portal", "newspaper_epaper", "wechat_repost",
           "forum_repost", "traditional_mirror")

# The steps that rewrite a line without removing it: what a line looks like after cleaning.
_NORMALISE = (cleaning.strip_html, cleaning.normalize_whitespace,
              cleaning.strip_pinyin_annotations, cleaning.normalize_width,
              cleaning.to_simplified, cleaning.collapse_doubled_punctuation)


def read_pages(directory: Path = PAGES_DIR) -> list[dict]:
    """Every page of every ``*.jsonl`` file of the set, with its file's name as ``group``."""
    pages = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                page = json.loads(line)
                page["group"] = path.stem
                pages.append(page)
    return pages


def page_text(page: dict) -> str:
    return "\n".join(line["text"] for line in page["lines"])


def normalise(text: str) -> str:
    for step in _NORMALISE:
        text = step(text)
    return text.strip()


def score(pages: list[dict], clean) -> dict:
    """Chrome recall (overall and per kind) and body loss of ``clean`` on ``pages``.

    Returns counts and the lines that went wrong, for reports.
    """
    chrome, removed = Counter(), Counter()
    body = lost = 0
    leaked, dropped = defaultdict(list), []
    for page in pages:
        kept = set(clean(page_text(page)).split("\n"))
        for line in page["lines"]:
            text = normalise(line["text"])
            survives = bool(text) and text in kept
            if line["label"] == "chrome":
                chrome[line["kind"]] += 1
                if survives:
                    leaked[line["kind"]].append((page["id"], line["text"]))
                else:
                    removed[line["kind"]] += 1
            else:
                body += 1
                if not survives:
                    lost += 1
                    dropped.append((page["id"], line["text"]))
    n_chrome = sum(chrome.values())
    return {
        "pages": len(pages), "chrome_lines": n_chrome, "body_lines": body,
        "chrome_recall": sum(removed.values()) / n_chrome if n_chrome else 1.0,
        "body_loss": lost / body if body else 0.0,
        "by_kind": {k: {"lines": chrome[k], "recall": removed[k] / chrome[k]}
                    for k in KINDS if chrome[k]},
        "leaked": dict(leaked), "dropped": dropped,
    }
