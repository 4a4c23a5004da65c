"""Batch benchmark: `renovml predict` against bare jieba, side by side in one run.

    python benchmarks/bench_batch.py [--mb 5] [--rounds 3]

Builds at least --mb megabytes of article-like text, one article a file: the corpus's
written articles and the labelled scraped pages (tests/data/pages), every line of every
copy numbered so no copy is a duplicate. Then, on the same files, it prints:

- throughput of bare ``jieba.lcut`` (renovml's jieba tokenizer, domain lexicon loaded) in
  one process, and of ``renovml predict --jobs 1`` with the default segmenter and with
  ``--tokenizer jieba``, as ratios to bare jieba;
- start-up: ``renovml predict`` on one 5 KB file against ``python -c "import jieba;
  jieba.initialize()"`` (best of three, wall time);
- parallel efficiency: the speed-up of ``--jobs 2`` over ``--jobs 1`` against the
  speed-up two bare jieba processes (half the files each) get over one on this machine;
  the same with one start-up taken off both renovml runs (bare jieba's times are its
  segmenting alone), and the bound the start-up puts on the whole-process figure;
- peak RSS of each run, and whether --jobs 1 and --jobs 2 write identical output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_JIEBA = """
import sys, time
from renovml.model.tokens import tokenizer
tok = tokenizer()  # jieba's Tokenizer with renovml's domain lexicon, built before the clock
paths = sys.argv[1:]
t0 = time.perf_counter()
for p in paths:
    tok.lcut(open(p, encoding="utf-8").read())
print(time.perf_counter() - t0)
"""

STAGES = """
import json, sys, time
from renovml.text.encoding import read_text
from renovml.text.cleaning import CLEAN_STEPS, extract_metadata, remove_chrome_lines, \\
    remove_metadata_header
from renovml.text.sections import Article
from renovml.model.tokens import _rjieba_tokenizer
import renovml
model = renovml.load()
segmenter = _rjieba_tokenizer() if model.segments_words else None
paths = sys.argv[1:]
t = {}
def clock(name, start):
    t[name] = t.get(name, 0.0) + time.process_time() - start
for i in range(0, len(paths), 16):  # batches as `renovml predict` makes them
    start = time.process_time()
    raws = [read_text(p) for p in paths[i:i + 16]]
    clock("read and decode", start)
    texts = []
    for raw in raws:
        for step in CLEAN_STEPS:
            start = time.process_time()
            if step is remove_metadata_header:
                raw = extract_metadata(raw)[0]
            else:
                raw = step(raw)
            clock("page chrome" if step is remove_chrome_lines else "other cleaning", start)
        texts.append(raw)
    start = time.process_time()
    articles = [Article(text=x) for x in texts]
    sentences = [s.text for a in articles for s in a.sentences]
    [a.paragraphs for a in articles]
    clock("sections", start)
    if model.segments_words:  # a model of character n-grams alone segments nothing
        start = time.process_time()
        [segmenter.cut(x, True) for x in sentences]
        clock("segmenting (rjieba alone)", start)
    start = time.process_time()
    tagged = model.tag_many(articles, unit="paragraph")
    clock("features and scores" + (" (segmenting again)" if model.segments_words else ""),
          start)
    start = time.process_time()
    for a in tagged:
        for x in a.sections:
            json.dumps(x.as_record(), ensure_ascii=False)
    clock("records and JSON", start)
print(json.dumps(t))
"""

MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(elapsed, peak, done.returncode)
sys.stderr.write(done.stderr[-500:])
"""


def article_texts() -> list[str]:
    """Article-like texts: the corpus's written articles and the labelled scraped pages."""
    texts = []
    for path in sorted((ROOT / "seeds" / "corpus").glob("written_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.append("\n".join(p["text"] for p in json.loads(line)["paragraphs"]))
    for path in sorted((ROOT / "tests" / "data" / "pages").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.append("\n".join(x["text"] for x in json.loads(line)["lines"]))
    return texts


def build_corpus(directory: Path, target_bytes: int) -> list[Path]:
    texts = article_texts()
    paths, size, i = [], 0, 0
    while size < target_bytes:
        text = texts[i % len(texts)]
        if i >= len(texts):  # a later copy: number its lines so it is no duplicate
            text = "\n".join(f"{line}{i}" for line in text.split("\n"))
        path = directory / f"{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        size += path.stat().st_size
        i += 1
    return paths


def _measure(cmd: list[str]) -> tuple[float, float]:
    result = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True,
                            text=True, check=True)
    elapsed, peak, code = result.stdout.split()
    if code not in ("0", "1"):
        raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr}")
    return float(elapsed), float(peak)


def _predict(inputs: Path, out: Path, *extra: str) -> tuple[float, float]:
    return _measure([sys.executable, "-m", "renovml", "predict", str(inputs), "-o", str(out),
                     "-q", *extra])


def _bare(paths: list[Path]) -> float:
    return float(subprocess.run([sys.executable, "-c", BARE_JIEBA, *map(str, paths)],
                                capture_output=True, text=True, check=True).stdout)


def _bare_parallel(paths: list[Path]) -> float:
    """Two bare jieba processes started together, half the files each: the longer of their
    segmenting times (each starts its clock once its tokenizer is built, as _bare does)."""
    halves = [paths[0::2], paths[1::2]]
    procs = [subprocess.Popen([sys.executable, "-c", BARE_JIEBA, *map(str, h)],
                              stdout=subprocess.PIPE, text=True) for h in halves]
    return max(float(proc.communicate()[0]) for proc in procs)


def _stages(paths: list[Path]) -> dict[str, float]:
    """CPU seconds of each stage of tagging, in one process, batch by batch as predict runs."""
    out = subprocess.run([sys.executable, "-c", STAGES, *map(str, paths)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of every run (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        paths = build_corpus(tmp / "in", int(args.mb * 1e6))
        mb = sum(p.stat().st_size for p in paths) / 1e6
        one_file = tmp / "one.txt"
        one_file.write_text(article_texts()[0][:1700], encoding="utf-8")  # about 5 KB

        # Rounds interleave every run, so a burst of load on a shared machine hits all of
        # them; each ratio is taken within a round, and the median round is reported.
        rounds = []
        for r in range(args.rounds):
            bare = _bare(paths)
            runs = {}
            for name, extra in (("default", ["--jobs", "1"]),
                                ("jieba", ["--jobs", "1", "--tokenizer", "jieba"]),
                                ("default, --jobs 2", ["--jobs", "2"])):
                out = tmp / f"out-{len(runs)}.jsonl"
                runs[name] = (*_predict(tmp / "in", out, *extra), out)
            same = runs["default"][2].read_bytes() == runs["default, --jobs 2"][2].read_bytes()
            n_sections = sum(1 for _ in open(runs["default"][2], encoding="utf-8"))
            bare_two = _bare_parallel(paths)
            start_renovml = min(_predict(one_file, tmp / "one.jsonl", "--jobs", "1")[0]
                                for _ in range(3))
            start_jieba = min(_measure([sys.executable, "-c",
                                        "import jieba; jieba.setLogLevel(60); "
                                        "jieba.initialize()"])[0] for _ in range(3))
            stages = _stages(paths)
            rounds.append({"stages": stages, "bare": bare, "runs": runs, "same": same, "bare_two": bare_two,
                           "start_renovml": start_renovml, "start_jieba": start_jieba,
                           "n_sections": n_sections})

    def median(values):
        values = sorted(values)
        return values[len(values) // 2] if len(values) % 2 else sum(
            values[len(values) // 2 - 1:len(values) // 2 + 1]) / 2

    def spread(values):
        return f"{median(values):.2f}" + (f" ({min(values):.2f}-{max(values):.2f})"
                                          if len(values) > 1 else "")

    same = all(r["same"] for r in rounds)
    names = list(rounds[0]["runs"])
    print(f"input: {mb:.2f} MB of article-like text in {len(paths)} files, "
          f"{rounds[0]['n_sections']} paragraphs; --jobs 1 and --jobs 2 output "
          f"{'identical' if same else 'DIFFERENT'}; {len(rounds)} interleaved round(s), "
          "median (min-max) of the per-round ratios")
    print(f"{'run':<44}{'seconds':>9}{'MB/s':>8}  {'vs bare jieba':<20}{'peak RSS':>10}")
    bare_s = median([r["bare"] for r in rounds])
    print(f"{'bare jieba.lcut, 1 process (segmenting only)':<44}{bare_s:9.1f}{mb / bare_s:8.2f}"
          f"  {'1.00':<20}")
    ratios = {}
    for name in names:
        elapsed = median([r["runs"][name][0] for r in rounds])
        peak = max(r["runs"][name][1] for r in rounds)
        ratios[name] = [r["bare"] / r["runs"][name][0] for r in rounds]
        label = f"renovml predict, {name}" + ("" if "jobs" in name else ", --jobs 1")
        print(f"{label:<44}{elapsed:9.1f}{mb / elapsed:8.2f}  {spread(ratios[name]):<20}"
              f"{peak:8.0f}MB")
    startup = [r["start_renovml"] / r["start_jieba"] for r in rounds]
    efficiency = [(r["runs"]["default"][0] / r["runs"]["default, --jobs 2"][0])
                  / (r["bare"] / r["bare_two"]) for r in rounds]
    print(f"start-up on one 5 KB file: renovml predict "
          f"{median([r['start_renovml'] for r in rounds]):.2f} s, bare jieba initialize "
          f"{median([r['start_jieba'] for r in rounds]):.2f} s: ratio {spread(startup)}")
    machine_two = [r["bare"] / r["bare_two"] for r in rounds]
    renovml_two = [r["runs"]["default"][0] / r["runs"]["default, --jobs 2"][0] for r in rounds]
    print(f"--jobs 2 speed-up over --jobs 1 against two bare jieba processes' speed-up over one "
          f"(segmenting time): ratio {spread(efficiency)}; speed-ups: renovml "
          f"{spread(renovml_two)}x, bare jieba {spread(machine_two)}x")
    # Bare jieba's figure is its segmenting time alone; renovml's whole-process times hold a
    # start-up that two processes cannot share (imports and the model load, before the
    # workers fork). Like for like: both runs less one start-up (the 5 KB run, so what is
    # left of the --jobs 2 run's own start-up still counts against it); and the best the
    # whole-process ratio could be if the work after start-up split perfectly.
    work_efficiency = [((r["runs"]["default"][0] - r["start_renovml"])
                        / (r["runs"]["default, --jobs 2"][0] - r["start_renovml"]))
                       / (r["bare"] / r["bare_two"]) for r in rounds]
    amdahl = []
    for r in rounds:
        machine = r["bare"] / r["bare_two"]
        one, start = r["runs"]["default"][0], r["start_renovml"]
        amdahl.append(one / (start + (one - start) / machine) / machine)
    print(f"  the same after start-up (both runs less one start-up): ratio "
          f"{spread(work_efficiency)}; the whole-process ratio's bound with that start-up "
          f"and a perfect split of the rest: {spread(amdahl)}")
    # Where the time goes, and what it bounds: the stages every run needs (start-up, reading,
    # cleaning, sections, segmenting) against bare jieba's time, if all else were free.
    stage_names = list(rounds[0]["stages"])
    print(f"where --jobs 1 spends its time (CPU seconds in one process, median round; "
          f"bare jieba {bare_s:.2f} s)")
    for name in stage_names:
        secs = median([r["stages"][name] for r in rounds])
        print(f"  {name:<42}{secs:7.2f} s {mb / secs if secs else float('inf'):8.1f} MB/s")
    needed = [k for k in ("read and decode", "other cleaning", "page chrome", "sections",
                          "segmenting (rjieba alone)") if k in rounds[0]["stages"]]
    bound = [r["bare"] / (r["start_renovml"] + sum(r["stages"][k] for k in needed))
             for r in rounds]
    print(f"  bound: bare jieba time / (start-up + {', '.join(needed)}) = {spread(bound)}x")
    print(json.dumps({"mb": round(mb, 2), "rounds": len(rounds),
                      "bound_vs_bare_jieba": round(median(bound), 2),
                      "vs_bare_jieba": {k: round(median(v), 2) for k, v in ratios.items()},
                      "startup_ratio": round(median(startup), 2),
                      "jobs2_efficiency": round(median(efficiency), 2),
                      "jobs2_speedup": round(median(renovml_two), 2),
                      "bare_jieba_two_process_speedup": round(median(machine_two), 2),
                      "jobs2_efficiency_after_startup": round(median(work_efficiency), 2),
                      "jobs2_efficiency_bound": round(median(amdahl), 2)}))


if __name__ == "__main__":
    main()
