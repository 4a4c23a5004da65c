"""Report benchmark: `renovml report` on a generated corpus of 5,000 articles.

    python benchmarks/bench_report.py [--articles 5000] [--rounds 3] [--out DIR]
                                      [--compare-svg]

Generates the corpus from the five seed articles (seeds/*.txt): each article is 6 to 14
of the seeds' cleaned paragraphs drawn at random, tagged by the shipped model with
``tag_many`` (so every paragraph is scored in its new context) and explained with three
terms per theme, as ``renovml predict --explain 3`` writes them; one input in a hundred is
an error record. Metadata (province, year, genre, source) is drawn at random. It prints:

- the render time of :func:`renovml.report.render` (best of --rounds, wall time), the
  page's size, gzipped size, and the share taken by the article views; and the size of
  the page without them (``article_views=False``, ``renovml report --no-articles``);
- with chromium on the PATH, the time headless Chromium takes to load and lay out the
  page and screenshot it (wall time, including the browser's start);
- with --compare-svg and matplotlib installed: the corpus charts drawn by matplotlib
  (``svg.fonttype="none"``) against renovml's hand-built SVG, time and bytes, and the
  section rows written through a jinja2 template (autoescape on) against renovml's
  string building, if jinja2 is installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROVINCES = ["北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏",
             "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南",
             "四川", "贵州", "云南", "陕西", "甘肃", "青海", "内蒙古", "广西", "西藏", "宁夏",
             "新疆"]
GENRES = ["meeting_report", "inspection_tour", "consultation_session", "implementation_plan",
          "policy_interpretation", "resident_notice", "interview", "financing_news",
          "property_management_news", "county_media_report", "wechat_feature"]


def generate(n: int, out: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write ``n`` tagged articles (JSONL, as `renovml predict --explain 3`) and their
    metadata (CSV) into ``out``."""
    import csv

    import renovml

    rng = random.Random(seed)
    model = renovml.load()
    pool = [p.text for path in sorted((ROOT / "seeds").glob("*.txt"))
            for p in renovml.Article.from_path(path).paragraphs]
    texts = ["\n".join(rng.sample(pool, rng.randint(6, 14))) for _ in range(n)]
    explained: dict[str, dict] = {}
    tagged_path, meta_path = out / "tagged.jsonl", out / "metadata.csv"
    with open(tagged_path, "w", encoding="utf-8") as handle:
        for start in range(0, n, 500):
            batch = model.tag_many(texts[start:start + 500])
            for i, tagged in enumerate(batch, start):
                article_id = f"generated/{i:05d}.txt"
                if rng.random() < 0.01:
                    handle.write(json.dumps({"article_id": article_id,
                                             "error": "no body text after cleaning"},
                                            ensure_ascii=False) + "\n")
                    continue
                for st in tagged.sections:
                    record = {"article_id": article_id, **st.as_record()}
                    text = st.section.text
                    if text not in explained:
                        explained[text] = {t: [[w, s] for w, s in terms] for t, terms in
                                           model.explain(text, top=3).items()}
                    record["explain"] = explained[text]
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(meta_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "province", "year", "genre", "source"])
        for i in range(n):
            writer.writerow([f"generated/{i:05d}.txt",
                             rng.choices(PROVINCES, weights=range(31, 0, -1))[0],
                             rng.randint(2017, 2025), rng.choice(GENRES),
                             f"source-{rng.randint(1, 40):02d}"])
    return tagged_path, meta_path


def bench_render(tagged: Path, meta: Path, rounds: int, out: Path) -> Path:
    from renovml.report import render

    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        html = render(tagged, metadata=meta, title="generated corpus")
        times.append(time.perf_counter() - t0)
    page = out / "report.html"
    page.write_text(html, encoding="utf-8")
    size = page.stat().st_size
    views = sum(len(part.encode()) for part in html.split('<article class="view')[1:])
    n_sections = sum(1 for _ in open(tagged, encoding="utf-8"))
    print(f"records: {n_sections:,} lines, {tagged.stat().st_size / 1e6:.1f} MB of JSONL")
    print(f"render: best {min(times):.2f} s of {rounds} (all: "
          f"{', '.join(f'{t:.2f}' for t in times)})")
    print(f"page: {size / 1e6:.1f} MB, gzipped {len(gzip.compress(html.encode(), 6)) / 1e6:.1f}"
          f" MB; article views {views / size:.0%} of it")
    t0 = time.perf_counter()
    small = render(tagged, metadata=meta, title="generated corpus", article_views=False)
    print(f"without article views: {len(small.encode()) / 1e6:.1f} MB in "
          f"{time.perf_counter() - t0:.2f} s")
    return page


def bench_browser(page: Path) -> None:
    chromium = next((shutil.which(c) for c in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(c)), None)
    if chromium is None:
        print("browser: no chromium on the PATH, skipped")
        return
    for fragment in ("", "#a2"):
        with tempfile.TemporaryDirectory() as profile:
            t0 = time.perf_counter()
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={profile}", "--window-size=1280,1000",
                            f"--screenshot={page.parent / 'shot.png'}",
                            page.as_uri() + fragment], capture_output=True, check=True)
            print(f"browser: headless Chromium loads, lays out and screenshots "
                  f"{'the home view' if not fragment else 'an article view'} in "
                  f"{time.perf_counter() - t0:.1f} s (start-up included)")


def _matplotlib_forest(rows, themes):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(themes), sharey=True, figsize=(9, 0.25 * len(rows) + 1))
    ys = range(len(rows))
    for ax, theme in zip(axes, themes):
        for measure, dy, face in (("share", -0.15, None), ("mean_score", 0.15, "white")):
            est = [r[theme][measure][0] for r in rows]
            low = [r[theme][measure][0] - r[theme][measure][1] for r in rows]
            high = [r[theme][measure][2] - r[theme][measure][0] for r in rows]
            ax.errorbar(est, [y + dy for y in ys], xerr=[low, high], fmt="o", ms=4,
                        mfc=face, capsize=0)
        ax.set_title(theme)
    axes[0].set_yticks(list(ys), [str(r["level"]) for r in rows])
    return fig


def compare_svg(tagged: Path, meta: Path) -> None:
    import io

    from renovml.report import corpus_shares
    from renovml.report.svg import forest
    from renovml.themes import THEMES

    rows = corpus_shares(tagged, metadata=meta, by="province")
    t0 = time.perf_counter()
    hand = forest(rows, title="by province")
    t_hand = time.perf_counter() - t0
    print(f"svg, hand-built: {len(rows)} rows, {len(hand.encode()) / 1e3:.0f} KB, "
          f"{t_hand * 1e3:.1f} ms, no dependency")
    try:
        t0 = time.perf_counter()
        import matplotlib

        matplotlib.use("svg")
        matplotlib.rcParams["svg.fonttype"] = "none"
        matplotlib.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "DejaVu Sans"]
        import matplotlib.pyplot as plt
        t_import = time.perf_counter() - t0
    except ImportError:
        print("svg, matplotlib: not installed, skipped")
    else:
        t0 = time.perf_counter()
        fig = _matplotlib_forest(rows, THEMES)
        buffer = io.StringIO()
        with warnings.catch_warnings():  # glyphs missing from its fonts: text stays text
            warnings.simplefilter("ignore", UserWarning)
            fig.savefig(buffer, format="svg")
        plt.close(fig)
        t_mpl = time.perf_counter() - t0
        print(f"svg, matplotlib {matplotlib.__version__} (fonttype none): "
              f"{len(buffer.getvalue().encode()) / 1e3:.0f} KB, {t_mpl * 1e3:.0f} ms a chart, "
              f"import {t_import:.2f} s")
    try:
        import jinja2
    except ImportError:
        print("templates, jinja2: not installed, skipped")
        return
    from renovml.report import inputs, page

    articles = inputs.articles_of(inputs.read_table(tagged))
    sections = [s for a in articles for s in a.sections]
    template = jinja2.Environment(autoescape=True).from_string(
        '{% for s in sections %}<div class="sec k{{ s.code }}"><b class="gt" title="'
        '{{ s.names }}">{% for t in s.themes %}<i class="{{ t[0] }}">{{ t[0]|upper }}</i>'
        '{% endfor %}</b><p class="tx">{{ s.text }}</p><span class="sc"><small>'
        "{{ s.section_id }}</small>{% for t in themes %}<i{% if t in s.themes %} class=on"
        '{% endif %}>{{ "%.2f"|format(s.scores[t]) }}</i>{% endfor %}</span></div>'
        "{% endfor %}")
    t0 = time.perf_counter()
    rows = [{**s, "code": sum(page.BIT[t] for t in s["themes"]),
             "names": ", ".join(s["themes"]) or "no theme"} for s in sections]
    template.render(sections=rows, themes=THEMES)
    t_jinja = time.perf_counter() - t0
    t0 = time.perf_counter()
    "".join(page._section_row({**s, "explain": {}}, False) for s in sections)
    t_plain = time.perf_counter() - t0
    print(f"templates: {len(sections):,} section rows (no underlines): jinja2 "
          f"{jinja2.__version__} {t_jinja:.2f} s, renovml's strings {t_plain:.2f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="keep the corpus and the report in this directory")
    parser.add_argument("--compare-svg", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        tagged, meta = generate(args.articles, out)
        print(f"generated {args.articles:,} articles in {time.perf_counter() - t0:.1f} s")
        page = bench_render(tagged, meta, args.rounds, out)
        bench_browser(page)
        if args.compare_svg:
            compare_svg(tagged, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
