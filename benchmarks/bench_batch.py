"""Batch benchmark: `renovml predict` against bare jieba, side by side in one run.

    python benchmarks/bench_batch.py [--mb 20]

Generates at least --mb megabytes of article text from the seeds (every line of
every copy numbered, so no copy is a duplicate), then times, on the same files:
bare `jieba.lcut` in one process; `renovml predict` with --jobs 1 and --jobs 2
(and the same with --tokenizer rjieba when rjieba is installed); and a run on a
tenth of the input, to show that memory does not grow with input size.
Peak RSS is the largest resident set of any process of a run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_text import build_corpus  # noqa: E402

BARE_JIEBA = """
import sys, time, jieba
jieba.setLogLevel(60)
paths = sys.argv[1:]
jieba.lcut("预热")
t0 = time.perf_counter()
for p in paths:
    jieba.lcut(open(p, encoding="utf-8").read())
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


def _predict(inputs: Path, out: Path, *extra: str) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "renovml", "predict", str(inputs), "-o", str(out), "-q", *extra]
    result = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True,
                            text=True, check=True)
    elapsed, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr}")
    return float(elapsed), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0)
    args = parser.parse_args()
    try:
        import rjieba  # noqa: F401
        backends = ["jieba", "rjieba"]
    except ImportError:
        backends = ["jieba"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        paths = build_corpus(tmp / "in", int(args.mb * 1e6))
        (tmp / "small").mkdir()
        for p in paths[: max(1, len(paths) // 10)]:
            (tmp / "small" / p.name).write_bytes(p.read_bytes())
        mb = sum(p.stat().st_size for p in paths) / 1e6
        small_mb = sum(p.stat().st_size for p in (tmp / "small").iterdir()) / 1e6
        bare = float(subprocess.run([sys.executable, "-c", BARE_JIEBA, *map(str, paths)],
                                    capture_output=True, text=True, check=True).stdout)
        rows = [("bare jieba.lcut (1 process)", bare, None, None)]
        n_sections = None
        for backend in backends:
            for jobs in (1, 2):
                out = tmp / f"out-{backend}-{jobs}.jsonl"
                elapsed, peak = _predict(tmp / "in", out, "--jobs", str(jobs),
                                         "--tokenizer", backend)
                n_sections = sum(1 for _ in open(out, encoding="utf-8"))
                rows.append((f"renovml predict --jobs {jobs} --tokenizer {backend}", elapsed, peak,
                             n_sections))
        small_elapsed, small_peak = _predict(tmp / "small", tmp / "small.jsonl", "--jobs", "1")
        same = (tmp / "out-jieba-1.jsonl").read_bytes() == (tmp / "out-jieba-2.jsonl").read_bytes()
    print(f"input: {mb:.1f} MB in {len(paths)} files, {n_sections} paragraphs; "
          f"{ 'identical' if same else 'DIFFERENT'} output for --jobs 1 and 2")
    print(f"{'run':<46}{'seconds':>9}{'MB/s':>8}{'sections/s':>12}{'vs jieba':>10}{'peak RSS':>10}")
    for name, elapsed, peak, n in rows:
        sps = f"{n / elapsed:12.0f}" if n else f"{'':>12}"
        rss = f"{peak:8.0f}MB" if peak else f"{'':>10}"
        print(f"{name:<46}{elapsed:9.1f}{mb / elapsed:8.2f}{sps}{bare / elapsed:10.2f}{rss}")
    j1 = dict((r[0], r[1]) for r in rows)
    for backend in backends:
        one = j1[f"renovml predict --jobs 1 --tokenizer {backend}"]
        two = j1[f"renovml predict --jobs 2 --tokenizer {backend}"]
        print(f"{backend}: --jobs 2 speed-up over --jobs 1: {one / two:.2f}x")
    print(f"memory vs input size (--jobs 1, jieba): {small_mb:.1f} MB input -> peak "
          f"{small_peak:.0f} MB; {mb:.1f} MB input -> peak {rows[1][2]:.0f} MB")
    print(json.dumps({"mb": round(mb, 2), "bare_jieba_s": round(bare, 1),
                      "runs": {r[0]: round(r[1], 1) for r in rows[1:]}}))


if __name__ == "__main__":
    main()
