"""renovml.report: records -> articles, shares with intervals, and one escaped HTML page."""

import contextlib
import io
import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from conftest import SEED_DIR

from renovml.errors import InputError
from renovml.report import corpus_shares, render
from renovml.report.inputs import articles_of, attach_metadata, metadata_columns
from renovml.report.stats import MAX_ROWS, group_shares, shares_of, t95
from renovml.themes import THEMES


def _section(article_id, n, text, themes=(), start=None, scores=None, explain=None, unit="p"):
    start = n * 100 if start is None else start
    record = {"article_id": article_id, "section_id": f"{unit}{n}", "unit": "paragraph",
              "start": start, "end": start + len(text), "text": text, "themes": list(themes),
              **{f"score_{t}": (scores or {}).get(t, 0.9 if t in themes else 0.1)
                 for t in THEMES}}
    if explain is not None:
        record["explain"] = explain
    return record


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory, seed_paths):
    from renovml.cli import main

    out = tmp_path_factory.mktemp("report")
    tagged, summary = out / "tagged.jsonl", out / "summary.csv"
    assert main(["predict", *map(str, seed_paths), "-o", str(tagged), "--summary", str(summary),
                 "--explain", "3", "-q", "-j", "1"]) == 0
    return tagged, summary


class TextOf(HTMLParser):
    """The text of each element with a given class, as a browser would show it."""

    def __init__(self, cls):
        super().__init__(convert_charrefs=True)
        self.cls, self.depth, self.texts = cls, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts[-1] += data


def _texts(html, cls):
    parser = TextOf(cls)
    parser.feed(html)
    return parser.texts


# --- the seeds, end to end -----------------------------------------------------

def test_seed_report_has_every_article_and_section(seed_run):
    tagged, summary = seed_run
    records = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    html = render(tagged, summary=summary, metadata=SEED_DIR / "corpus" / "seeds.jsonl")
    for n in range(1, 6):
        assert f'<article class="view" id="a{n}">' in html
        assert f'href="#a{n}"' in html
    assert _texts(html, "tx") == [r["text"] for r in records]
    # The score column shows every score, filled exactly where the section has the theme.
    rows = re.findall(r'<span class="sc"><small>p[^<]*</small>(.*?)</span>', html)
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        cells = re.findall(r"<i( class=on)?>([0-9.]+)</i>", row)
        assert [float(v) for _, v in cells] == [round(record[f"score_{t}"], 2) for t in THEMES]
        assert [t for t, (on, _) in zip(THEMES, cells) if on] == record["themes"]


def test_seed_report_breaks_down_by_the_corpus_metadata(seed_run):
    tagged, summary = seed_run
    html = render(tagged, summary=summary, metadata=SEED_DIR / "corpus" / "seeds.jsonl")
    assert "Metadata found for 5 of 5 articles." in html
    for column in ("province", "year", "genre"):
        assert f"<h3>By {column}</h3>" in html
    provinces = {json.loads(line)["place"]["province"]
                 for line in (SEED_DIR / "corpus" / "seeds.jsonl").read_text("utf-8").splitlines()}
    rows = corpus_shares(tagged, metadata=SEED_DIR / "corpus" / "seeds.jsonl", by="province")
    assert {r["level"] for r in rows} == provinces
    assert sum(r["sections"] for r in rows) == len(tagged.read_text("utf-8").splitlines())


def test_seed_report_underlines_the_deciding_words(seed_run):
    tagged, _ = seed_run
    records = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    rows = re.findall(r'<p class="tx"(?: title="([^"]*)")?>(.*?)</p>', render(tagged))
    assert len(rows) == len(records)
    n_underlined = 0
    for (tip, body), record in zip(rows, records):
        text = record["text"]
        # each character: the themes (bits) with a positive term covering it, from the record
        expected = [0] * len(text)
        for k, theme in enumerate(THEMES):
            if theme not in record["themes"]:
                continue
            for term, weight in record["explain"][theme]:
                if weight > 0:
                    for m in re.finditer(re.escape(term.lower()), text.lower()):
                        for i in range(m.start(), m.end()):
                            expected[i] |= 1 << k
        # the same, read back from the page
        shown = []
        for code, underlined, plain in re.findall(r'<u class="u(\d+)">([^<]*)</u>|([^<]+)', body):
            piece = unescape(underlined or plain)
            shown += [int(code) if code else 0] * len(piece)
        assert shown == expected, record["section_id"]
        n_underlined += body.count("<u ")
        themes_with_terms = [t for t in record["themes"]
                             if any(w > 0 for _, w in record["explain"][t])]
        assert [part.split(":")[0] for part in unescape(tip).split("; ") if part] == \
            themes_with_terms
    assert n_underlined >= 20


def test_page_is_self_contained(seed_run):
    tagged, summary = seed_run
    html = render(tagged, summary=summary)
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", html, re.I)
    links = re.findall(r'(?:href|src)\s*=\s*"?([^" >]*)', html)
    assert links and all(link.startswith("#") for link in links)
    # the only URL is the SVG namespace, which is a name and never fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


# --- escaping -------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script></style><b onclick="x()">粗</b> & &amp; </textarea>'


def test_text_is_data_never_markup():
    records = [
        _section('"><img src=x onerror=alert(1)>', 0, HOSTILE, ["funding"],
                 explain={"funding": [["<script>", 0.5], ["</style>", 0.4]]}),
        _section("a2", 0, "资金</style><style>body{display:none}</style>", ["governance"]),
        {"article_id": "a3</title><script>x</script>", "error": "<script>bad()</script>"},
    ]
    metadata = [{"article_id": "a2", "province": "<script>p</script>", "title": "</style>"},
                {"article_id": "a4", "province": "湖南"}]
    html = render(records, metadata=metadata, title="</title><script>t</script>")
    assert not re.search(r"<script", html, re.I)
    assert html.count("</style>") == 1 and html.count("<style>") == 1
    assert not re.search(r"<(b onclick|img|textarea)\b", html)
    assert _texts(html, "tx") == [HOSTILE, "资金</style><style>body{display:none}</style>"]
    # in the index, the error list and the article's view
    assert _texts(html, "err") == ["error", "<script>bad()</script>",
                                   "Not tagged: <script>bad()</script>"]
    assert "alert(1)&lt;/script&gt;" in html
    # the explain terms were underlined inside the escaped text, not matched in markup
    assert '<p class="tx" title="funding: &lt;script&gt; +0.50, &lt;/style&gt; +0.40">' \
           '<u class="u1">&lt;script&gt;</u>alert(1)' in html


def test_undecodable_file_names_stay_valid_utf8():
    html = render([_section("pages/\udcff.txt", 0, "加装电梯", ["infrastructure"])])
    assert "pages/\\udcff.txt" in html
    html.encode("utf-8")


# --- reading records ------------------------------------------------------------

def test_articles_group_consecutive_records_and_keep_errors():
    records = [_section("a", 0, "一"), _section("a", 1, "二"),
               {"article_id": "b", "error": "no body text after cleaning"},
               _section("a", 0, "三"),  # the same id again, from another input: another article
               _section("c", 0, "四")]
    articles = articles_of(records)
    assert [(a.article_id, len(a.sections), a.error) for a in articles] == [
        ("a", 2, None), ("b", 0, "no body text after cleaning"), ("a", 1, None), ("c", 1, None)]
    assert [a.number for a in articles] == [1, 2, 3, 4]


def test_csv_output_of_predict_reads_like_jsonl(tmp_path, seed_paths):
    from renovml.cli import main

    jsonl, csv_path = tmp_path / "t.jsonl", tmp_path / "t.csv"
    for out in (jsonl, csv_path):
        assert main(["predict", *map(str, seed_paths[:2]), "-o", str(out), "--explain", "2",
                     "-q", "-j", "1"]) == 0
    from renovml.report.inputs import read_table

    a, b = (articles_of(read_table(p)) for p in (jsonl, csv_path))
    assert [x.sections for x in a] == [x.sections for x in b]
    assert all(s["explain"] for x in b for s in x.sections)


def test_a_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_section("a", 0, "一")) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.jsonl:2: not valid JSON"):
        render(path)
    with pytest.raises(InputError, match="no 'article_id'"):
        render([{"text": "一"}])
    with pytest.raises(InputError, match="no such file"):
        render(tmp_path / "missing.jsonl")


def test_sentence_sections_mark_paragraph_breaks():
    records = [_section("a", 0, "一。", start=0, unit="p0.s"), _section("a", 1, "二。", start=2,
               unit="p0.s"), _section("a", 0, "三。", start=5, unit="p1.s")]
    html = render(records)
    assert re.findall(r'<div class="sec k\d+( np)?">', html) == ["", "", " np"]
    assert "3 sentences" in html


# --- metadata ---------------------------------------------------------------------

def test_corpus_records_give_province_city_year_and_month():
    articles = articles_of([_section(f"x{i}", 0, "一") for i in range(4)])
    metadata = [{"id": f"x{i}", "title": f"标题{i}", "date": f"202{i % 2}-0{i + 1}-01",
                 "place": {"province": ["湖南", "湖北"][i % 2], "city": f"市{i}"},
                 "genre": "meeting_report", "paragraphs": [{"text": "..."}]} for i in range(3)]
    assert attach_metadata(articles, metadata, []) == 3
    assert articles[1].metadata == {"id": "x1", "title": "标题1", "date": "2021-02-01",
                                    "province": "湖北", "city": "市1", "genre": "meeting_report",
                                    "year": "2021", "month": "2021-02"}
    # genre has one value, title and id are identifiers: no breakdown by them
    assert metadata_columns(articles) == ["province", "city", "year", "month"]


def test_metadata_matches_seed_files_by_their_source_file():
    articles = articles_of([_section("/any/where/seeds/000_3243e8404a5687bb.txt", 0, "一")])
    assert attach_metadata(articles, [json.loads(line) for line in
                                      (SEED_DIR / "corpus" / "seeds.jsonl").read_text("utf-8")
                                      .splitlines()], []) == 1
    assert articles[0].metadata["province"] == "湖南"


def test_summary_dominant_themes_are_shown(seed_run):
    tagged, summary = seed_run
    html = render(tagged, summary=summary)
    index = html[html.index('id="index"'):html.index("</table>", html.index('id="index"'))]
    first_summary_row = summary.read_text("utf-8").splitlines()[1].split(",")
    dominant = first_summary_row[-2].split(";")
    first_row = index.split("<tr>")[2]
    assert re.findall(r'title="(\w+)">\w</span>', first_row) == dominant


# --- statistics -------------------------------------------------------------------

def _article(number, flags, scores=None):
    from renovml.report.inputs import ReportArticle

    sections = [{"themes": ["funding"] if f else [],
                 "scores": {t: (scores[i] if scores and t == "funding" else 0.0) for t in THEMES}}
                for i, f in enumerate(flags)]
    return ReportArticle(number, f"a{number}", sections)


def test_t_quantiles():
    assert t95(1) == 12.706 and t95(30) == 2.042
    assert t95(60) == pytest.approx(2.000, abs=0.001)
    assert t95(10_000) == pytest.approx(1.960, abs=0.001)
    with pytest.raises(ValueError):
        t95(0)


def test_share_pools_sections_and_clusters_by_article():
    same = [_article(i, [1, 0, 0, 0], [0.8, 0.2, 0.2, 0.2]) for i in range(10)]
    result = shares_of(same)
    share, low, high = result["funding"]["share"]
    assert (result["articles"], result["sections"], result["funding"]["tagged"]) == (10, 40, 10)
    assert share == 0.25
    # identical articles: no extra between-article variance, so the Wilson interval on 40
    assert (low, high) == pytest.approx((0.1419, 0.4019), abs=1e-4)
    assert result["funding"]["mean_score"] == pytest.approx((0.35, 0.35, 0.35))
    # the same 10 tagged sections in three articles: far less information, a wider interval
    lumped = [_article(i, [[1] * 4, [1] * 4, [1, 1, 0, 0]][i] if i < 3 else [0] * 4)
              for i in range(10)]
    s2, low2, high2 = shares_of(lumped)["funding"]["share"]
    assert s2 == 0.25 and low2 < low and high2 > high
    assert result["governance"]["share"] == (0.0, 0.0, pytest.approx(0.0876, abs=1e-4))


def test_one_article_and_no_sections():
    one = shares_of([_article(1, [1, 0], [0.9, 0.1])])
    est, low, high = one["funding"]["mean_score"]
    assert est == 0.5 and low == 0.0 and high == 1.0  # t(1) x 0.4: as wide as it gets
    empty = shares_of([])
    assert empty["sections"] == 0 and empty["funding"]["share"] == (None, None, None)


def test_groups_in_time_order_with_other_and_missing():
    articles = [_article(i, [1]) for i in range(MAX_ROWS + 5)]
    for i, article in enumerate(articles[:-1]):
        article.metadata = {"year": str(2030 - i % 3), "source": f"s{i}" if i else "s1"}
    assert [r["level"] for r in group_shares(articles, "year")] == ["2028", "2029", "2030",
                                                                     "(missing)"]
    rows = group_shares(articles, "source")
    assert rows[0]["level"] == "s1" and rows[0]["articles"] == 2
    assert rows[-2]["level"] == f"other ({MAX_ROWS + 3 - (MAX_ROWS - 1)} values)"
    assert len(rows) == MAX_ROWS + 1 and sum(r["articles"] for r in rows) == len(articles)


def test_years_are_never_pooled():
    articles = [_article(i, [1]) for i in range(MAX_ROWS + 10)]
    for i, article in enumerate(articles):
        article.metadata = {"year": str(1950 + i)}
    rows = group_shares(articles, "year")
    assert [r["level"] for r in rows] == [str(1950 + i) for i in range(MAX_ROWS + 10)]


def test_without_article_views_the_page_is_the_corpus_and_the_index(seed_run):
    tagged, summary = seed_run
    full = render(tagged, summary=summary)
    small = render(tagged, summary=summary, article_views=False)
    assert "<article" not in small and 'href="#a' not in small
    assert small.count("<tr><td class=\"n\">") == 5  # every article is still in the index
    assert len(small) < len(full) / 2


# --- the command line (`renovml report`, `renovml predict --report`) --------------

def _has_report_command():
    from renovml.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["report", "x.jsonl", "-o", "x.html"])
    except SystemExit:
        return False
    return True


needs_cli = pytest.mark.skipif(not _has_report_command(),
                               reason="renovml/cli.py has no `report` subcommand")


@needs_cli
def test_cli_report(seed_run, tmp_path, capsys):
    from renovml.cli import main

    tagged, summary = seed_run
    page = tmp_path / "report.html"
    assert main(["report", str(tagged), "--summary", str(summary), "--metadata",
                 str(SEED_DIR / "corpus" / "seeds.jsonl"), "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.count('<article class="view"') == 5 and "<h3>By province</h3>" in html
    assert str(page) in capsys.readouterr().err
    assert main(["report", str(tagged), "-o", str(tagged)]) == 2  # never over its input
    assert main(["report", str(tmp_path / "missing.jsonl"), "-o", str(page)]) == 2


@needs_cli
def test_cli_predict_report_shortcut(tmp_path, seed_paths):
    from renovml.cli import main

    tagged, page = tmp_path / "t.csv", tmp_path / "report.html"
    assert main(["predict", *map(str, seed_paths), "-o", str(tagged), "--explain", "2",
                 "--report", str(page), "-q", "-j", "1"]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.count('<article class="view"') == 5 and "<u class=" in html
    assert main(["predict", str(seed_paths[0]), "--report", str(page), "-q"]) == 2  # no -o
    assert main(["predict", str(seed_paths[0]), "-o", str(tmp_path / "x.jsonl"), "--report",
                 str(tmp_path / "no" / "r.html"), "-q"]) == 2


@needs_cli
def test_cli_predict_report_uses_corpus_records_as_metadata(tmp_path, seed_paths):
    from renovml.cli import main

    inputs = tmp_path / "articles.jsonl"
    with open(inputs, "w", encoding="utf-8") as handle:
        for n, (path, province) in enumerate(zip(seed_paths, ["湖南", "湖北", "湖南", "浙江"])):
            handle.write(json.dumps({"id": f"x{n}", "text": path.read_text("utf-8"),
                                     "place": {"province": province}, "date": f"202{n}-05-01"},
                                    ensure_ascii=False) + "\n")
    page = tmp_path / "report.html"
    assert main(["predict", str(inputs), "-o", str(tmp_path / "t.jsonl"), "--report",
                 str(page), "-q", "-j", "1"]) == 0
    html = page.read_text(encoding="utf-8")
    assert "Metadata found for 4 of 4 articles." in html
    assert "<h3>By province</h3>" in html and "<h3>By year</h3>" in html
    assert "<td>湖南</td><td class=n>2</td>" in html  # the numbers table: 2 articles
