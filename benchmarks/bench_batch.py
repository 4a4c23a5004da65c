"""Batch benchmark: `renovml predict` against bare jieba, side by side in one run.

    python benchmarks/bench_batch.py [--mb 5]

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        paths = build_corpus(tmp / "in", int(args.mb * 1e6))
        mb = sum(p.stat().st_size for p in paths) / 1e6
        one_file = tmp / "one.txt"
        one_file.write_text(article_texts()[0][:1700], encoding="utf-8")  # about 5 KB

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
                                    "import jieba; jieba.setLogLevel(60); jieba.initialize()"])[0]
                          for _ in range(3))

    print(f"input: {mb:.2f} MB of article-like text in {len(paths)} files, {n_sections} "
          f"paragraphs; --jobs 1 and --jobs 2 output {'identical' if same else 'DIFFERENT'}")
    print(f"{'run':<44}{'seconds':>9}{'MB/s':>8}{'vs bare jieba':>15}{'peak RSS':>10}")
    print(f"{'bare jieba.lcut, 1 process (segmenting only)':<44}{bare:9.1f}{mb / bare:8.2f}"
          f"{1.0:15.2f}{'':>10}")
    for name, (elapsed, peak, _) in runs.items():
        label = f"renovml predict, {name}" + ("" if "jobs" in name else ", --jobs 1")
        print(f"{label:<44}{elapsed:9.1f}{mb / elapsed:8.2f}{bare / elapsed:15.2f}"
              f"{peak:8.0f}MB")
    jobs_speedup = runs["default"][0] / runs["default, --jobs 2"][0]
    bare_speedup = bare / bare_two
    print(f"start-up on one 5 KB file: renovml predict {start_renovml:.2f} s, bare jieba "
          f"initialize {start_jieba:.2f} s: ratio {start_renovml / start_jieba:.2f}")
    print(f"--jobs 2 speed-up {jobs_speedup:.2f}x; two bare jieba processes {bare_speedup:.2f}x "
          f"(segmenting time); ratio {jobs_speedup / bare_speedup:.2f}")
    print(json.dumps({"mb": round(mb, 2), "bare_jieba_s": round(bare, 2),
                      "runs_s": {k: round(v[0], 2) for k, v in runs.items()},
                      "startup_ratio": round(start_renovml / start_jieba, 2),
                      "jobs2_efficiency": round(jobs_speedup / bare_speedup, 2)}))


if __name__ == "__main__":
    main()
