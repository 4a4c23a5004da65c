"""Theme shares -> inline SVG: one panel per theme (small multiples), one row per group.

Hand-built: a chart is a few hundred short elements, written directly, with every label
escaped; text stays text (Chinese included) and takes the page's fonts.
"""

from __future__ import annotations

import math
from html import escape

from renovml.themes import THEMES

__all__ = ["PALETTE", "forest"]

#: Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
PALETTE = {"funding": "#E69F00", "governance": "#0072B2", "infrastructure": "#009E73",
           "management": "#CC79A7"}

ROW = 22
LABEL_W = 150
PANEL_W = 170
GAP = 26
COUNT_W = 124
TOP = 34


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def forest(rows: list[dict], *, title: str) -> str:
    """An SVG of both measures with their 95% intervals, per theme and group.

    ``rows`` are the dicts of :func:`renovml.report.stats.group_shares` (or one row of
    :func:`~renovml.report.stats.shares_of` with a ``level``). Filled dot: the share of
    sections tagged; open dot: the mean probability; lines: 95% intervals.
    """
    highs = [r[t][m][2] for r in rows for t in THEMES for m in ("share", "mean_score")
             if r[t][m][2] is not None]
    xmax = min(1.0, max(0.1, math.ceil(max(highs, default=0.1) * 10) / 10))
    width = LABEL_W + len(THEMES) * (PANEL_W + GAP) + COUNT_W
    height = TOP + ROW * len(rows) + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
           f"<title>{escape(title)}</title>"]

    def x_of(value: float, k: int) -> float:
        return LABEL_W + k * (PANEL_W + GAP) + value / xmax * PANEL_W

    ticks = [i / 10 for i in range(0, int(round(xmax * 10)) + 1, 1 if xmax <= 0.5 else 2)]
    bottom = TOP + ROW * len(rows)
    out.append('<circle cx="8" cy="10" r="3.5" fill="#555"/><text x="16" y="14" class="lg">'
               'share tagged</text><circle cx="8" cy="24" r="3.5" fill="#fff" stroke="#555" '
               'stroke-width="1.5"/><text x="16" y="28" class="lg">mean probability</text>')
    for k, theme in enumerate(THEMES):
        left = x_of(0, k)
        out.append(f'<text x="{left:.0f}" y="14" class="ph" fill="{PALETTE[theme]}">'
                   f"{escape(theme)}</text>")
        for tick in ticks:
            x = x_of(tick, k)
            out.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{bottom}" '
                       f'class="{"ax" if tick == 0 else "gr"}"/>'
                       f'<text x="{x:.1f}" y="{bottom + 14}" class="tk">{tick:g}</text>')
    out.append(f'<text x="{width - COUNT_W + 6}" y="{TOP - 10}" class="lg">'
               "articles / sections</text>")
    for i, row in enumerate(rows):
        y = TOP + ROW * i + ROW / 2
        level = str(row["level"])
        if i % 2:
            out.append(f'<rect x="0" y="{y - ROW / 2:.0f}" width="{width}" height="{ROW}" '
                       f'class="zebra"/>')
        out.append(f'<text x="{LABEL_W - 8}" y="{y + 4:.0f}" class="lv">'
                   f"<title>{escape(level)}</title>{escape(_short(level))}</text>")
        for k, theme in enumerate(THEMES):
            colour = PALETTE[theme]
            cell = row[theme]
            share, mean = cell["share"], cell["mean_score"]
            tip = (f"{level} · {theme}: share tagged {_fmt(share[0])} "
                   f"[{_fmt(share[1])}, {_fmt(share[2])}] ({cell['tagged']} of "
                   f"{row['sections']} sections); mean probability {_fmt(mean[0])} "
                   f"[{_fmt(mean[1])}, {_fmt(mean[2])}]")
            out.append(f'<g><title>{escape(tip)}</title>'
                       f'<rect x="{x_of(0, k):.0f}" y="{y - ROW / 2:.0f}" width="{PANEL_W}" '
                       f'height="{ROW}" fill="transparent"/>')
            for measure, dy, filled in (("share", -4, True), ("mean_score", 4, False)):
                est, low, high = cell[measure]
                if est is None:
                    continue
                yy = y + dy
                out.append(f'<line x1="{x_of(low, k):.1f}" y1="{yy:.0f}" x2="{x_of(high, k):.1f}" '
                           f'y2="{yy:.0f}" stroke="{colour}" stroke-width="2"/>'
                           f'<circle cx="{x_of(est, k):.1f}" cy="{yy:.0f}" r="3.5" '
                           f'stroke="{colour}" stroke-width="1.5" '
                           f'fill="{colour if filled else "#fff"}"/>')
            out.append("</g>")
        out.append(f'<text x="{width - COUNT_W + 6}" y="{y + 4:.0f}" class="ct">'
                   f"{row['articles']:,} / {row['sections']:,}</text>")
    out.append("</svg>")
    return "".join(out)
