"""Page chrome and linear time: the cleaning pipeline on the labelled page set and on
adversarial inputs.

    python benchmarks/bench_chrome.py [--sizes 1000 10000 100000]

Prints chrome recall by kind and body-line loss on tests/data/pages (all pages, and by
file), then for each adversarial input (tests/adversarial.py) the time of clean() at each
size and its ratio to clean() on ordinary article text of the same size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from adversarial import ADVERSARIAL, ordinary  # noqa: E402
from pageset import read_pages, score  # noqa: E402

import renovml  # noqa: E402
from renovml.text.chrome import line_kind  # noqa: E402


def _seconds(func, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        line_kind.cache_clear()  # time the work, not the memo of an earlier run
        start = time.perf_counter()
        func(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()

    pages = read_pages()
    result = score(pages, renovml.clean)
    print(f"page set: {result['pages']} pages, {result['chrome_lines']} chrome lines, "
          f"{result['body_lines']} body lines")
    print(f"chrome recall {result['chrome_recall']:.4f}   body-line loss {result['body_loss']:.4f}")
    print(f"{'kind':<14}{'lines':>7}{'recall':>9}")
    for kind, row in result["by_kind"].items():
        print(f"{kind:<14}{row['lines']:>7}{row['recall']:>9.3f}")
    for group in sorted({p["group"] for p in pages}):
        r = score([p for p in pages if p["group"] == group], renovml.clean)
        print(f"  {group:<16} pages {r['pages']:>3}  chrome recall {r['chrome_recall']:.3f}  "
              f"body loss {r['body_loss']:.4f}")

    renovml.clean("預熱(yù)")  # load OpenCC outside the timing
    print("\nclean() seconds by input size; ratio = time / time on ordinary text of that size")
    base = {n: _seconds(renovml.clean, ordinary(n)) for n in args.sizes}
    header = "".join(f"{n:>12}" for n in args.sizes)
    print(f"{'input':<28}{header}{'ratio@' + str(args.sizes[-1]):>14}")
    print(f"{'ordinary article text':<28}" + "".join(f"{base[n]:>12.4f}" for n in args.sizes))
    for name, make in ADVERSARIAL.items():
        times = [_seconds(renovml.clean, make(n)) for n in args.sizes]
        ratio = times[-1] / base[args.sizes[-1]]
        print(f"{name:<28}" + "".join(f"{t:>12.4f}" for t in times) + f"{ratio:>14.2f}")


if __name__ == "__main__":
    main()
