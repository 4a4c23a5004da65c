"""Report data -> one self-contained HTML page.

The page has no script and fetches nothing: CSS and SVG are inline, fonts are the
reader's own. The home view (corpus view, index, errors) is what opens; each article view
is an anchor (``#a12``) shown by CSS ``:target``, so a report of 10,000 articles lays out
only the view being read. Every piece of data (text, ids, metadata, terms) goes through
:func:`html.escape`; nothing from the data is ever written as markup.
"""

from __future__ import annotations

import datetime as _dt
import re
from html import escape

from renovml.report.inputs import ReportArticle
from renovml.report.stats import group_shares, shares_of
from renovml.report.svg import PALETTE, forest
from renovml.themes import THEME_NAMES_ZH, THEMES

__all__ = ["page"]

BIT = {t: 1 << k for k, t in enumerate(THEMES)}
LETTER = {t: t[0].upper() for t in THEMES}
TINT = {"funding": "#fbe3b0", "governance": "#c6ddef", "infrastructure": "#c2e8dc",
        "management": "#f3d9e8"}
INDEX_COLUMNS = 3


def _css() -> str:
    rules = [_BASE_CSS]
    for k, theme in enumerate(THEMES):
        colour = PALETTE[theme]
        rules.append(f".gt .{theme[0]}{{grid-column:{k + 1};background:{colour}}}"
                     f".sc i:nth-of-type({k + 1}).on{{background:{colour}}}"
                     f".chip.{theme[0]}{{background:{colour}}}"
                     f".bars i:nth-child({k + 1}){{background:{colour}}}")
    for code in range(1, 1 << len(THEMES)):
        present = [t for t in THEMES if code & BIT[t]]
        if len(present) == 1:
            background = TINT[present[0]]
        else:
            stops = ",".join(f"{TINT[t]} {8 * i}px {8 * (i + 1)}px" for i, t in enumerate(present))
            background = f"repeating-linear-gradient(135deg,{stops})"
        shadows = ",".join(f"inset 0 -{2 * (i + 1)}px 0 {PALETTE[t]}"
                           for i, t in enumerate(present))
        rules.append(f".k{code} .tx{{background:{background}}}.u{code}{{box-shadow:{shadows}}}")
    return "".join(rules)


_BASE_CSS = """
*{box-sizing:border-box}
body{margin:0;color:#1d1d1f;background:#fff;line-height:1.55;font-size:15px;
font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Source Han Sans SC",
"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif}
header,main>section,article.view{max-width:1180px;margin:0 auto;padding:0 20px}
header{padding-top:16px;border-bottom:1px solid #ddd}
h1{font-size:22px;margin:0 0 4px}h2{font-size:19px;margin:22px 0 6px}
h3{font-size:15px;margin:18px 0 4px}
nav a{margin-right:14px}a{color:#0b5cad}
.muted,.note{color:#555}.note{font-size:13px;max-width:900px}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0;font-size:13px;align-items:center}
.chip{display:inline-block;color:#fff;border-radius:3px;padding:0 5px;font-size:12px;
font-weight:700;min-width:1.4em;text-align:center}
.chip.x{background:#fff;color:#333;border:1px solid #999}
.view{display:none}.view:target,.view.open{display:block}
body:has(.view:target) .home{display:none}
.sec{display:grid;grid-template-columns:78px 1fr 220px;gap:10px;align-items:start}
.sec.np{margin-top:10px}
.gt{display:grid;grid-template-columns:repeat(4,1.2em);gap:1px;padding-top:3px}
.gt i{font-style:normal;color:#fff;font-size:11px;font-weight:700;text-align:center;
border-radius:2px;line-height:1.6}
.tx{margin:0;padding:2px 6px;border-radius:3px;white-space:pre-wrap;overflow-wrap:anywhere}
.sc{font:12px/1.9 ui-monospace,Menlo,Consolas,monospace;color:#666;white-space:nowrap}
.sc i{font-style:normal;display:inline-block;width:3.1em;text-align:center;border-radius:2px;
margin-right:2px}.sc small{display:inline-block;width:3.2em}
.sc i.on{color:#fff;font-weight:700}.sc small{color:#999}
.hd{font-size:12px;color:#666;margin-bottom:2px}.hd .sc i{color:#fff;font-weight:700}
u{text-decoration:none;padding-bottom:1px}
.err{color:#a00}
table{border-collapse:collapse;font-size:13px}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#f7f7f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.dm{white-space:nowrap}
.bars{display:flex;gap:2px;align-items:flex-end;height:16px;width:64px}
.bars i{display:block;width:14px;min-height:1px}
.chart{max-width:100%;height:auto;font-size:12px}
.chart .ph{font-weight:700;font-size:13px}.chart .tk{fill:#666;font-size:10px;text-anchor:middle}
.chart .lv{text-anchor:end;fill:#222}.chart .lg{fill:#444;font-size:10px}.chart .ct{fill:#444;font-size:11px}
.chart .gr{stroke:#e4e4e4}.chart .ax{stroke:#999}.chart .zebra{fill:#f6f6f6}
.pager{margin:14px 0;font-size:14px}
dl.meta{display:flex;flex-wrap:wrap;gap:2px 4px;font-size:13px;margin:4px 0}
dl.meta dt{color:#666}dl.meta dt:after{content:":"}dl.meta dd{margin:0 12px 0 0}
.idx{max-height:none}
"""


def _chips(themes) -> str:
    return "".join(f'<span class="chip {t[0]}" title="{t}">{LETTER[t]}</span>' for t in themes)


def _legend(with_explain: bool) -> str:
    items = "".join(f'<span>{_chips([t])} {t} <span class="muted">{THEME_NAMES_ZH[t]}</span>'
                    f"</span>" for t in THEMES)
    extra = ('<span><u class="u1">underlined</u>: the words that raised the score of a '
             "theme the section carries (colour: the theme; hover the text for their "
             "weights)</span>" if with_explain else "")
    return (f'<div class="legend">{items}<span class="muted">stripes: several themes; '
            f"right column: probability per theme (F G I M), filled when tagged</span>"
            f"{extra}</div>")


def _underlined(text: str, section: dict) -> tuple[str, str]:
    """The section's text, escaped, with the positive explain terms of its themes
    underlined in their theme's colour; and the terms with their weights, for a tooltip
    (once a section: on every underline it would double the page's size)."""
    spans = []
    tips = []
    lowered = text.lower() if len(text.lower()) == len(text) else text
    for theme in section["themes"]:
        terms = [(str(term), float(w)) for term, w in section["explain"].get(theme, [])
                 if isinstance(w, (int, float)) and w > 0 and str(term).strip()]
        if terms:
            tips.append(f"{theme}: " + ", ".join(f"{t} +{w:.2f}" for t, w in terms))
        for term, _ in terms:
            for m in re.finditer(re.escape(term.lower()), lowered):
                spans.append((m.start(), m.end(), BIT[theme]))
    if not spans:
        return escape(text), ""
    # Sweep the span ends left to right, counting the open spans of each theme.
    changes: dict[int, list[tuple[int, int]]] = {0: [], len(text): []}
    for start, end, bit in spans:
        changes.setdefault(start, []).append((bit, 1))
        changes.setdefault(end, []).append((bit, -1))
    open_spans = dict.fromkeys(BIT.values(), 0)
    out = []
    start, mask = 0, 0
    for cut in sorted(changes):
        for bit, step in changes[cut]:
            open_spans[bit] += step
        now = sum(bit for bit, count in open_spans.items() if count)
        if now != mask or cut == len(text):
            piece = escape(text[start:cut])
            out.append(f'<u class="u{mask}">{piece}</u>' if mask else piece)
            start, mask = cut, now
    return "".join(out), "; ".join(tips)


def _section_row(section: dict, new_paragraph: bool) -> str:
    themes = section["themes"]
    code = sum(BIT[t] for t in themes)
    gutter = "".join(f'<i class="{t[0]}">{LETTER[t]}</i>' for t in themes)
    scores = "".join(f'<i{" class=on" if t in themes else ""}>'
                     f"{section['scores'][t]:.2f}</i>" for t in THEMES)
    names = ", ".join(themes) or "no theme"
    text, tip = _underlined(section["text"], section)
    tip = f' title="{escape(tip)}"' if tip else ""
    return (f'<div class="sec k{code}{" np" if new_paragraph else ""}">'
            f'<b class="gt" title="{names}">{gutter}</b>'
            f'<p class="tx"{tip}>{text}</p>'
            f'<span class="sc"><small>{escape(section["section_id"])}</small>{scores}</span></div>')


def _meta_list(metadata: dict) -> str:
    if not metadata:
        return ""
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in metadata.items()
                    if k not in ("id", "article_id", "title"))
    return f'<dl class="meta">{items}</dl>'


def _dominant(article: ReportArticle) -> list[str]:
    if article.summary and article.summary.get("dominant_themes") is not None:
        given = article.summary["dominant_themes"]
        names = given.split(";") if isinstance(given, str) else list(given)
        return [t for t in names if t in THEMES]
    shares = article.shares
    return [t for t, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v >= 0.25]


def _article_view(article: ReportArticle, total: int, single: bool) -> str:
    n = article.number
    links = ['<a href="#index">↑ index</a>']
    if n > 1:
        links.append(f'<a href="#a{n - 1}">← previous</a>')
    if n < total:
        links.append(f'<a href="#a{n + 1}">next →</a>')
    pager = f'<div class="pager">{" ".join(links)}</div>'
    title = article.metadata.get("title")
    heading = (f"{escape(title)} <span class=muted>{escape(article.article_id)}</span>"
               if title else escape(article.article_id))
    parts = [f'<article class="view{" open" if single else ""}" id="a{n}">', pager,
             f"<h2>{n}. {heading}</h2>", _meta_list(article.metadata)]
    if article.error:
        parts.append(f'<p class="err">Not tagged: {escape(article.error)}</p>')
    else:
        shares = article.shares
        chips = " ".join(f"{_chips([t])} {shares[t]:.0%}" for t in THEMES)
        parts.append(f'<p class="muted">{len(article.sections)} sections; share tagged: '
                     f"{chips}</p>")
        letters = "".join(f'<i class="on">{LETTER[t]}</i>'
                          for t in THEMES)
        parts.append(f'<div class="sec hd"><span>themes</span><span>text</span>'
                     f'<span class="sc"><small>id</small>{letters}</span></div>')
        previous_end = None
        for section in article.sections:
            new_paragraph = previous_end is not None and section["start"] > previous_end
            parts.append(_section_row(section, new_paragraph))
            previous_end = section["end"]
    parts.append(pager + "</article>")
    return "".join(parts)


def _numbers_table(rows: list[dict], column: str) -> str:
    head = "".join(f"<th>{t} share [95%]</th><th>{t} mean p [95%]</th>" for t in THEMES)
    body = []
    for row in rows:
        cells = "".join(
            "".join(f'<td class="n">{c[m][0]:.3f} [{c[m][1]:.3f}, {c[m][2]:.3f}]</td>'
                    if c[m][0] is not None else "<td>–</td>" for m in ("share", "mean_score"))
            for c in (row[t] for t in THEMES))
        body.append(f"<tr><td>{escape(str(row['level']))}</td><td class=n>{row['articles']:,}"
                    f"</td><td class=n>{row['sections']:,}</td>{cells}</tr>")
    return (f"<details><summary>the numbers</summary><table><tr><th>{escape(column)}</th>"
            f"<th>articles</th><th>sections</th>{head}</tr>{''.join(body)}</table></details>")


def _corpus_view(articles: list[ReportArticle], columns: list[str], matched: int) -> str:
    overall = {"level": "all articles", **shares_of(articles)}
    parts = ['<section class="home" id="corpus"><h2>Corpus</h2>',
             '<p class="note">Filled dot: the share of sections tagged with the theme (score '
             "at or above the model's threshold). Open dot: the theme's mean probability over "
             "the sections, which does not depend on the thresholds: counting thresholded "
             "labels is biased when a theme's frequency differs from the training data's. "
             "Lines: 95% intervals with the article as the sampling unit (sections of one "
             "article are not independent). Hover for the numbers.</p>",
             forest([overall], title="Theme shares, all articles"),
             _numbers_table([overall], "")]
    if not columns:
        parts.append('<p class="note">No metadata breakdown: give a metadata file (CSV or '
                     "JSONL keyed by article_id, e.g. province, year, genre, source) to see "
                     "the themes by group.</p>")
    else:
        parts.append(f'<p class="note">Metadata found for {matched:,} of {len(articles):,} '
                     "articles.</p>")
    for column in columns:
        rows = group_shares(articles, column)
        parts.append(f"<h3>By {escape(column)}</h3>")
        parts.append(forest(rows, title=f"Theme shares by {column}"))
        parts.append(_numbers_table(rows, column))
    parts.append("</section>")
    return "".join(parts)


def _index(articles: list[ReportArticle], columns: list[str], linked: bool) -> str:
    shown = columns[:INDEX_COLUMNS]
    head = "".join(f"<th>{escape(c)}</th>" for c in shown)
    rows = []
    for article in articles:
        n = article.number
        title = article.metadata.get("title")
        label = (f"{escape(title)}<br><span class=muted>{escape(article.article_id)}</span>"
                 if title else escape(article.article_id))
        cells = "".join(f"<td>{escape(article.metadata.get(c, ''))}</td>" for c in shown)
        if article.error:
            rest = '<td class="n">–</td><td></td><td class="err">error</td>'
        else:
            shares = article.shares
            bars = "".join(f'<i style="height:{max(1, round(16 * shares[t]))}px" '
                           f'title="{t} {shares[t]:.0%}"></i>' for t in THEMES)
            rest = (f'<td class="n">{len(article.sections)}</td><td><span class="bars">'
                    f"{bars}</span></td><td class=dm>{_chips(_dominant(article))}</td>")
        link = f'<a href="#a{n}">{label}</a>' if linked else label
        rows.append(f'<tr><td class="n">{n}</td><td>{link}</td>{cells}{rest}</tr>')
    return (f'<section class="home" id="index"><h2>Articles ({len(articles):,})</h2>'
            f'<p class="note">{"Each article opens in its own view; t" if linked else "T"}he '
            "browser's find (Ctrl+F) searches this index. Bars: share of sections per theme (F G I M); "
            "chips: dominant themes (on at least a quarter of the sections).</p>"
            f"<table class=idx><tr><th>#</th><th>article</th>{head}<th>sections</th>"
            f"<th>shares</th><th>dominant</th></tr>{''.join(rows)}</table></section>")


def _errors(articles: list[ReportArticle], linked: bool) -> str:
    failed = [a for a in articles if a.error]
    if not failed:
        return ""
    rows = "".join(f'<tr><td class="n">'
                   f'{f"<a href=#a{a.number}>{a.number}</a>" if linked else a.number}</td>'
                   f"<td>{escape(a.article_id)}</td><td class=err>{escape(a.error)}</td></tr>"
                   for a in failed)
    return (f'<section class="home" id="errors"><h2>Errors ({len(failed):,})</h2>'
            f"<table><tr><th>#</th><th>article</th><th>error</th></tr>{rows}</table></section>")


def page(articles: list[ReportArticle], columns: list[str], matched: int, *,
         title: str, article_views: bool = True) -> str:
    """The whole HTML document for ``articles`` with breakdowns by ``columns``; without
    ``article_views``, the corpus view and the index only."""
    tagged = [a for a in articles if not a.error]
    n_sections = sum(len(a.sections) for a in tagged)
    n_errors = len(articles) - len(tagged)
    units = {s["section_id"].count(".") for a in tagged for s in a.sections[:1]}
    unit = "sentences" if units == {1} else "paragraphs" if units == {0} else "sections"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with_explain = any(s["explain"] for a in tagged for s in a.sections)
    parts = ["<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">",
             '<meta name="viewport" content="width=device-width,initial-scale=1">',
             f"<title>{escape(title)}</title><style>{_css()}</style></head><body>",
             f"<header><h1>{escape(title)}</h1>",
             f'<p class="muted">{len(tagged):,} articles tagged, {n_sections:,} {unit}'
             f"{f', {n_errors:,} inputs failed' if n_errors else ''} · made by renovml "
             f"{stamp}</p>",
             '<nav><a href="#corpus">corpus</a><a href="#index">articles</a>'
             f"{'<a href=#errors>errors</a>' if n_errors else ''}</nav>",
             _legend(with_explain), "</header><main>",
             _corpus_view(articles, columns, matched), _index(articles, columns, article_views),
             _errors(articles, article_views)]
    if article_views:
        single = len(articles) == 1
        parts.extend(_article_view(a, len(articles), single) for a in articles)
    parts.append("</main></body></html>\n")
    return "".join(parts)

