"""Throughput of the text pipeline: read -> clean -> sections.

    python benchmarks/bench_text.py [--mb 5]

Builds seed-like text of at least --mb megabytes by repeating the five seed
articles (each copy numbered, so duplicate removal does not shrink the work),
writes it as one file per copy, and times read_text + clean + sections on one
core. Prints MB/s of raw input.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import renovml

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def build_corpus(directory: Path, target_bytes: int) -> list[Path]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    paths, size, i = [], 0, 0
    while size < target_bytes:
        text = seeds[i % len(seeds)]
        # Number every line of the copy so no two copies are duplicates of each other.
        text = "\n".join(f"{line}{i}" if line.strip() else line for line in text.split("\n"))
        path = directory / f"{i:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        size += path.stat().st_size
        i += 1
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="input size in MB (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_corpus(Path(tmp), int(args.mb * 1e6))
        total = sum(p.stat().st_size for p in paths)
        renovml.clean("預熱(yù)")  # build OpenCC once, outside the timing
        t0 = time.perf_counter()
        n_sentences = n_paragraphs = 0
        for path in paths:
            text = renovml.clean(renovml.read_text(path))
            n_paragraphs += len(renovml.sections(text, "paragraph"))
            n_sentences += len(renovml.sections(text, "sentence"))
        elapsed = time.perf_counter() - t0
    print(f"input            {total / 1e6:8.2f} MB in {len(paths)} files")
    print(f"paragraphs       {n_paragraphs:8d}")
    print(f"sentences        {n_sentences:8d}")
    print(f"elapsed          {elapsed:8.2f} s")
    mbps = total / 1e6 / elapsed
    print(f"throughput       {mbps:8.2f} MB/s  (read -> clean -> sections, one core)")


if __name__ == "__main__":
    main()
