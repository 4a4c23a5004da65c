"""Files -> report data: the tagged sections of `renovml predict`, its summary, and metadata.

Everything here reads files or record lists and returns plain data; nothing renders.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from renovml.errors import InputError
from renovml.text.encoding import json_objects
from renovml.themes import THEMES

__all__ = ["ReportArticle", "articles_of", "attach_metadata", "iter_table", "metadata_columns",
           "read_table"]

#: Fields of a metadata record that are text or identifiers, never a grouping.
NOT_GROUPINGS = frozenset({
    "id", "article_id", "text", "title", "paragraphs", "sentences", "source_url",
    "source_title", "source_file", "url", "date", "error", "n_sections", "dominant_themes",
    *(f"share_{t}" for t in THEMES),
})


@dataclass
class ReportArticle:
    """One input record of `renovml predict`: its sections, or the error it ended in."""

    number: int
    article_id: str
    sections: list[dict] = field(default_factory=list)
    error: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    summary: dict | None = None

    @property
    def shares(self) -> dict[str, float]:
        """The share of this article's sections carrying each theme."""
        n = len(self.sections)
        return {t: (sum(t in s["themes"] for s in self.sections) / n if n else 0.0)
                for t in THEMES}


def _rows_of_file(path: Path) -> Iterator[dict]:
    suffix = path.suffix.lower()
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        if suffix in (".csv", ".tsv"):
            yield from csv.DictReader(handle, delimiter="," if suffix == ".csv" else "\t")
            return
        for _, row in json_objects(handle, path):
            yield row


def iter_table(source) -> Iterator[dict]:
    """Rows of a JSONL, CSV or TSV file (by extension; anything else is read as JSONL), of
    every such file in a directory, or of a list mixing such paths and dicts, one at a
    time.

    Raises
    ------
    InputError
        If a file cannot be read or a JSONL line is not a JSON object.
    """
    if source is None:
        return
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.suffix.lower() in (".jsonl", ".csv", ".tsv") and p.is_file():
                    yield from _rows_of_file(p)
        elif path.is_file():
            yield from _rows_of_file(path)
        else:
            raise InputError(f"{path}: no such file; expected a JSONL, CSV or TSV file")
        return
    for item in source:
        if isinstance(item, dict):
            yield item
        elif isinstance(item, (str, os.PathLike)):
            yield from iter_table(item)
        else:
            raise InputError(f"expected records as dicts, got {type(item).__name__}")


def read_table(source) -> list[dict]:
    """The rows of :func:`iter_table`, as a list."""
    return list(iter_table(source))


def _section(row: dict) -> dict:
    """A section record with typed fields, whether it came from JSONL or CSV."""
    themes = row.get("themes") or []
    if isinstance(themes, str):
        themes = [t for t in themes.split(";") if t]
    explain = row.get("explain") or {}
    if isinstance(explain, str):
        try:
            explain = json.loads(explain)
        except json.JSONDecodeError:
            explain = {}
    try:
        scores = {t: float(row.get(f"score_{t}") or 0.0) for t in THEMES}
        start, end = int(row.get("start") or 0), int(row.get("end") or 0)
    except (TypeError, ValueError) as exc:
        raise InputError(f"article {row.get('article_id')!r}, section "
                         f"{row.get('section_id')!r}: {exc}; expected numeric scores and "
                         "offsets as written by `renovml predict`") from None
    return {"section_id": str(row.get("section_id", "")), "start": start, "end": end,
            "text": str(row.get("text") or ""), "themes": [t for t in THEMES if t in themes],
            "scores": scores, "explain": explain if isinstance(explain, dict) else {}}


def articles_of(records: Iterable[dict]) -> list[ReportArticle]:
    """Group section records into articles, in input order.

    Consecutive records with one ``article_id`` are one article (two inputs with the same
    id are two articles, as `renovml predict` writes them); a record with ``error`` is an
    article of its own that failed.

    Raises
    ------
    InputError
        If a record has no ``article_id``.
    """
    articles: list[ReportArticle] = []
    current = None
    previous_section = None
    for n, row in enumerate(records, 1):
        if "article_id" not in row:
            raise InputError(f"record {n}: no 'article_id'; expected the records of "
                             "`renovml predict`")
        article_id = str(row["article_id"])
        if row.get("error"):
            articles.append(ReportArticle(len(articles) + 1, article_id, error=str(row["error"])))
            current = None
            continue
        section = _section(row)
        # A section that does not come after the previous one starts another input record.
        restart = (current is not None and previous_section is not None
                   and section["start"] < previous_section["end"])
        if current is None or current.article_id != article_id or restart:
            current = ReportArticle(len(articles) + 1, article_id)
            articles.append(current)
        current.sections.append(section)
        previous_section = section
    return articles


#: A metadata value longer than this is an article's text, not metadata.
MAX_VALUE = 300


def _flatten(row: dict) -> dict[str, str]:
    """Metadata as text: a corpus record's ``place`` gives ``province`` and ``city``, its
    ``date`` also ``year`` and ``month``; lists, empty values and long texts are left
    out."""
    flat: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (str, int, float)) and str(v).strip():
                    flat.setdefault(str(k), str(v).strip())
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                and 0 < len(str(value).strip()) <= MAX_VALUE:
            flat[str(key)] = str(value).strip()
    date = flat.get("date", "")
    if len(date) >= 4 and date[:4].isdigit():
        flat.setdefault("year", date[:4])
        if len(date) >= 7 and date[5:7].isdigit():
            flat.setdefault("month", date[:7])
    return flat


def attach_metadata(articles: list[ReportArticle], metadata: Iterable[dict],
                    summary: Iterable[dict], *, key: str | None = None) -> int:
    """Give each article its metadata row and its summary row; returns how many articles
    found metadata.

    A metadata row is keyed by its field ``key``, by default ``article_id`` (else ``id``),
    and is read one row at a time, its long texts dropped. An article whose id is not a
    key is matched by its file name against the keys and the ``source_file`` field, so the
    corpus records of ``seeds/corpus/seeds.jsonl`` describe ``renovml predict seeds/*.txt``.
    Summary rows are matched to articles in order, by id.
    """
    by_key: dict[str, dict] = {}
    by_name: dict[str, dict] = {}
    for row in metadata:
        name = row.get(key) if key else row.get("article_id", row.get("id"))
        flat = _flatten(row)
        if name is not None:
            by_key.setdefault(str(name), flat)
            by_name.setdefault(Path(str(name)).name, flat)
        if row.get("source_file"):
            by_name.setdefault(Path(str(row["source_file"])).name, flat)
    matched = 0
    for article in articles:
        meta = by_key.get(article.article_id) or by_name.get(Path(article.article_id).name)
        if meta is not None:
            article.metadata = meta
            matched += 1
    queue: dict[str, list[dict]] = {}
    for row in summary:
        queue.setdefault(str(row.get("article_id")), []).append(row)
    for article in articles:
        rows = queue.get(article.article_id)
        if rows:
            article.summary = rows.pop(0)
    return matched


def metadata_columns(articles: list[ReportArticle], *, max_levels: int = 200) -> list[str]:
    """The metadata columns worth a breakdown: present on some article, with 2 to
    ``max_levels`` values, and not an identifier (distinct for nearly every article);
    ``month`` only up to 36 values when there is a ``year``."""
    values: dict[str, set[str]] = {}
    for article in articles:
        for key, value in article.metadata.items():
            if key not in NOT_GROUPINGS:
                values.setdefault(key, set()).add(value)
    n = len(articles)
    keep = [key for key, seen in values.items()
            if 2 <= len(seen) <= max_levels and not (len(seen) > 20 and len(seen) > 0.5 * n)
            and not (key == "month" and len(seen) > 36 and "year" in values)]
    preferred = ["province", "city", "year", "month", "genre", "source", "source_publisher"]
    return sorted(keep, key=lambda k: (preferred.index(k) if k in preferred else len(preferred), k))
