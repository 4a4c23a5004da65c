"""Memory benchmark: peak resident memory of `renovml predict` on one article of 1 MB and
one of 50 MB.

    python benchmarks/bench_memory.py [--small-mb 1] [--large-mb 50] [--jobs 1]

Builds each article from the seed articles, every line of every copy numbered (so
cleaning drops no line as a duplicate), runs `renovml predict ARTICLE -o OUT` in a
fresh process, and prints the largest resident set of any process of the run, the
time, the number of records written, and the ratio of the two peaks. A huge article is
tagged a chunk of paragraphs at a time, so the ratio should stay near 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(elapsed, peak, done.returncode)
sys.stderr.write(done.stderr[-500:])
"""


def build_article(path: Path, target_bytes: int) -> int:
    """Write one article of at least ``target_bytes`` bytes; returns its size."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    size, i = 0, 0
    with open(path, "wb") as handle:
        while size < target_bytes:
            text = seeds[i % len(seeds)]
            text = "\n".join(f"{line}{i}" if line.strip() else line for line in text.split("\n"))
            data = (text + "\n").encode("utf-8")
            handle.write(data)
            size += len(data)
            i += 1
    return path.stat().st_size


def measure(article: Path, out: Path, jobs: int) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, records written) of one run on ``article``."""
    cmd = [sys.executable, "-m", "renovml", "predict", str(article), "-o", str(out), "-q",
           "--jobs", str(jobs)]
    result = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True,
                            text=True, check=True)
    elapsed, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"renovml predict failed ({code}): {result.stderr}")
    with open(out, "rb") as handle:
        n_records = sum(1 for _ in handle)
    return float(elapsed), float(peak), n_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=float, default=1.0)
    parser.add_argument("--large-mb", type=float, default=50.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, mb in (("small", args.small_mb), ("large", args.large_mb)):
            article = Path(tmp) / f"{name}.txt"
            size = build_article(article, int(mb * 1e6))
            elapsed, peak, n = measure(article, Path(tmp) / f"{name}.jsonl", args.jobs)
            peaks[name] = peak
            print(f"{size / 1e6:6.1f} MB article, --jobs {args.jobs}: peak RSS {peak:7.1f} MB, "
                  f"{elapsed:6.1f} s, {n} paragraph records")
            article.unlink()
    print(f"peak RSS ratio, {args.large_mb:g} MB / {args.small_mb:g} MB: "
          f"{peaks['large'] / peaks['small']:.2f}")


if __name__ == "__main__":
    main()
