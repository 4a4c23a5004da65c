"""Tagged sections -> one self-contained HTML report: an article view and a corpus view.

The chain of this room::

    records (+ summary, + metadata) -> articles (inputs) -> shares with intervals (stats)
                                    -> SVG charts (svg) -> one HTML page (page)

>>> from renovml import report
>>> html = report.render("tagged.jsonl", metadata="meta.csv")      # doctest: +SKIP
>>> open("report.html", "w", encoding="utf-8").write(html)          # doctest: +SKIP

The command line: ``renovml report TAGGED.jsonl [--summary S] [--metadata M] -o report.html``.
"""

from __future__ import annotations

import logging

from renovml.report.inputs import (
    articles_of,
    attach_metadata,
    iter_table,
    metadata_columns,
    read_table,
)
from renovml.report.page import page as _page
from renovml.report.stats import group_shares, shares_of

__all__ = ["corpus_shares", "render"]

logger = logging.getLogger(__name__)


def _articles(records, summary, metadata, metadata_key):
    articles = articles_of(iter_table(records))
    matched = attach_metadata(articles, iter_table(metadata), read_table(summary),
                              key=metadata_key)
    return articles, matched


def render(records, *, summary=None, metadata=None, metadata_key: str | None = None,
           title: str = "renovml report", article_views: bool = True) -> str:
    """The HTML report of tagged sections, as one self-contained page.

    Parameters
    ----------
    records : path-like or iterable of dict
        The section records of ``renovml predict`` (JSONL, or CSV/TSV by extension),
        error records included, or the same records as dicts.
    summary : path-like or iterable of dict, optional
        The ``--summary`` file of the same run (CSV/TSV/JSONL): its ``dominant_themes``
        are shown in the index.
    metadata : path-like, or list of paths or dicts, optional
        Metadata keyed by ``article_id`` (or ``id``): CSV/TSV/JSONL files or directories
        of them, e.g. ``province``, ``year`` or ``date``, ``genre``, ``source``. Corpus-
        format records (``place``, ``date``) and the JSONL/CSV inputs of ``renovml
        predict`` work as they are (long texts in them are skipped). Each column with 2 to
        200 values gets a breakdown in the corpus view.
    metadata_key : str, optional
        The metadata field holding the article id (``--id-field`` of the run); default
        ``article_id``, else ``id``.
    title : str
        The page's title.
    article_views : bool
        Include a view of every article (default). Without them the page is the corpus
        view and the index only: a few hundred bytes an article instead of about ten
        kilobytes, for corpora too large to send as one page.

    Returns
    -------
    str
        The HTML document: inline CSS and SVG, no script, nothing fetched.

    Raises
    ------
    InputError
        If a file cannot be read, a JSONL line is not a JSON object, or a record has no
        ``article_id`` or malformed scores.
    """
    articles, matched = _articles(records, summary, metadata, metadata_key)
    columns = metadata_columns(articles)
    logger.info("report: %d articles, metadata for %d, breakdowns by %s", len(articles),
                matched, ", ".join(columns) or "nothing")
    html = _page(articles, columns, matched, title=title, article_views=article_views)
    # A lone surrogate (an undecodable file name) is written as its \udcXX escape.
    return html.encode("utf-8", "backslashreplace").decode("utf-8")


def corpus_shares(records, *, metadata=None, metadata_key: str | None = None,
                  by: str | None = None) -> list[dict]:
    """The corpus view's numbers: per theme the share of sections tagged and the mean
    probability, each as (estimate, low, high) with a 95% interval, for all articles
    (``by=None``, one row) or per value of the metadata column ``by``.

    Rows are dicts: ``level``, ``articles``, ``sections`` and one entry per theme,
    ``{"share": (...), "mean_score": (...), "tagged": n}``.
    """
    articles, _ = _articles(records, None, metadata, metadata_key)
    if by is None:
        return [{"level": "all articles", **shares_of(articles)}]
    return group_shares(articles, by)
