"""Articles -> theme shares with 95% intervals, overall and by a metadata column.

Two measures per theme, because counting thresholded labels is biased when a theme's
frequency shifts (the thresholds were tuned on one mix of themes):

- ``share``: the share of sections whose score reaches the theme's threshold;
- ``mean_score``: the mean of the theme's probability over the sections.

Both pool the sections of a group's articles. Sections of one article are not
independent, so the intervals treat the article as the sampling unit: the share gets a
Wilson interval on the effective number of sections (sections / design effect, the
design effect being the article-clustered variance over the binomial one, at least 1),
the mean score a t interval from the article-clustered (ratio-estimator) variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from renovml.report.inputs import ReportArticle
from renovml.themes import THEMES

__all__ = ["Z95", "group_shares", "shares_of", "t95"]

Z95 = 1.959964

_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)

#: Rows of a breakdown beyond this many levels are pooled into one "other" row.
MAX_ROWS = 40


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T95):
        return _T95[df - 1]
    return Z95 + (Z95 ** 3 + Z95) / (4 * df)  # Cornish-Fisher: within 0.001 beyond df 30


def _wilson(p: float, n: float) -> tuple[float, float]:
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _clustered_variance(ys: Sequence[float], ns: Sequence[int], ratio: float) -> float:
    """Variance of the ratio sum(ys) / sum(ns) with the clusters (articles) as units."""
    k, total = len(ys), sum(ns)
    residuals = sum((y - ratio * n) ** 2 for y, n in zip(ys, ns))
    return k / (k - 1) * residuals / (total * total)


def shares_of(articles: Sequence[ReportArticle]) -> dict:
    """Both measures for each theme over ``articles`` (their sections pooled).

    Returns
    -------
    dict
        ``articles`` and ``sections`` (counts; articles with no section are left out),
        and per theme ``{"share": (estimate, low, high), "mean_score": (...),
        "tagged": count}``; the estimates are None when there is no section.
    """
    tagged = [a for a in articles if a.sections]
    ns = [len(a.sections) for a in tagged]
    total = sum(ns)
    out: dict = {"articles": len(tagged), "sections": total}
    for theme in THEMES:
        hits = [sum(theme in s["themes"] for s in a.sections) for a in tagged]
        scores = [[s["scores"][theme] for s in a.sections] for a in tagged]
        if not total:
            out[theme] = {"share": (None, None, None), "mean_score": (None, None, None),
                          "tagged": 0}
            continue
        share = sum(hits) / total
        mean = sum(map(sum, scores)) / total
        if len(tagged) >= 2:
            var_share = _clustered_variance(hits, ns, share)
            binomial = share * (1 - share) / total
            deff = max(1.0, var_share / binomial) if binomial > 0 else 1.0
            var_mean = _clustered_variance([sum(x) for x in scores], ns, mean)
            half = t95(len(tagged) - 1) * math.sqrt(var_mean)
        else:  # one article: its sections are all there is to go on
            deff = 1.0
            flat = scores[0]
            var = (sum((x - mean) ** 2 for x in flat) / (total - 1)) if total > 1 else 0.0
            half = (t95(total - 1) if total > 1 else 0.0) * math.sqrt(var / total)
        low, high = _wilson(share, total / deff)
        out[theme] = {"share": (share, low, high),
                      "mean_score": (mean, max(0.0, mean - half), min(1.0, mean + half)),
                      "tagged": sum(hits)}
    return out


def _in_time_order(column: str, levels: list[str]) -> bool:
    return column in ("year", "month") or all(x.replace("-", "").isdigit() for x in levels)


def _level_order(column: str, levels: list[str], counts: dict[str, int]) -> list[str]:
    if _in_time_order(column, levels):
        return sorted(levels)
    return sorted(levels, key=lambda x: (-counts[x], x))


def group_shares(articles: Sequence[ReportArticle], column: str) -> list[dict]:
    """One row per value of a metadata column: ``{"level", "articles", "sections", theme:
    ...}`` as :func:`shares_of`. Years, months and numbers in order, all of them; other
    values by number of articles, and beyond :data:`MAX_ROWS` of them the rarest pooled as
    "other (N values)"; articles without the column are the row "(missing)"."""
    groups: dict[str, list[ReportArticle]] = {}
    for article in articles:
        if article.sections:
            groups.setdefault(article.metadata.get(column, ""), []).append(article)
    missing = groups.pop("", [])
    counts = {level: len(members) for level, members in groups.items()}
    levels = _level_order(column, list(groups), counts)
    if len(levels) > MAX_ROWS and not _in_time_order(column, levels):
        by_count = sorted(levels, key=lambda x: (-counts[x], x))
        kept = set(by_count[:MAX_ROWS - 1])
        rest = [x for x in levels if x not in kept]
        levels = [x for x in levels if x in kept]
        groups[f"other ({len(rest)} values)"] = [a for x in rest for a in groups[x]]
        levels.append(f"other ({len(rest)} values)")
    if missing:
        groups["(missing)"] = missing
        levels.append("(missing)")
    return [{"level": level, **shares_of(groups[level])} for level in levels]
