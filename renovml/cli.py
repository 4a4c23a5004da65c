"""The command line: ``renovml predict`` and ``renovml eval``. The only module that
touches the terminal."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from renovml.themes import THEMES

__all__ = ["build_parser", "main"]

logger = logging.getLogger("renovml")

SECTION_FIELDS = ["article_id", "section_id", "unit", "start", "end", "text", "themes",
                  *[f"score_{t}" for t in THEMES], "explain", "error"]
SUMMARY_FIELDS = ["article_id", "n_sections", *[f"share_{t}" for t in THEMES],
                  "dominant_themes", "error"]


def _threshold(value: str) -> tuple[str, float]:
    theme, sep, number = value.partition("=")
    if not sep or theme not in THEMES:
        raise argparse.ArgumentTypeError(f"expected THEME=VALUE with THEME one of "
                                         f"{', '.join(THEMES)}, got {value!r}")
    try:
        threshold = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"threshold for {theme} must be a number, "
                                         f"got {number!r}") from None
    if not 0.0 <= threshold <= 1.0:
        raise argparse.ArgumentTypeError(f"threshold for {theme} must be in [0, 1], got {threshold}")
    return theme, threshold


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return number


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="renovml",
        description="Tag the sections of Chinese urban-renewal reports with themes: "
                    + ", ".join(THEMES) + ".")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="tag articles; one output record per section")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files (.txt .html .htm .jsonl .csv .tsv), directories (searched "
                        "recursively), glob patterns, or - for standard input")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.add_argument("--format", choices=["jsonl", "csv", "tsv"],
                   help="output format (default: from --output's extension, else jsonl)")
    p.add_argument("--summary", metavar="FILE",
                   help="also write one record per article (.csv/.tsv or JSONL by extension)")
    p.add_argument("--unit", choices=["paragraph", "sentence"], default="paragraph")
    p.add_argument("--model", help="model artifact (default: the shipped model)")
    p.add_argument("--trusted", action="store_true",
                   help="load --model without checking its manifest hash (your own file)")
    p.add_argument("--threshold", action="append", type=_threshold, default=[],
                   metavar="THEME=VALUE", help="override a theme's threshold (repeatable)")
    p.add_argument("--explain", type=int, default=0, metavar="N",
                   help="add the top N terms per theme to each record")
    p.add_argument("--text-field", default="text", help="text field of .jsonl/.csv records")
    p.add_argument("--id-field", help="id field of .jsonl/.csv records (default: FILE:LINE)")
    p.add_argument("--tokenizer", choices=["jieba", "rjieba"], default="jieba",
                   help="word segmenter: jieba (default) or rjieba, a faster Rust port "
                        "(pip install 'renovml[fast]')")
    p.add_argument("-j", "--jobs", type=_positive, default=_cores(),
                   help="worker processes (default: all cores)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run into --output, skipping articles already there")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("eval", help="score the model against a labelled corpus")
    e.add_argument("corpus", help="labelled corpus in the annotation format (.jsonl or directory)")
    e.add_argument("--model", help="model artifact (default: the shipped model)")
    e.add_argument("--trusted", action="store_true")
    e.add_argument("--format", choices=["text", "json"], default="text")
    return parser


# --- output ---------------------------------------------------------------------

def _format_of(path: str | None, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower() if path else ""
    return {".csv": "csv", ".tsv": "tsv"}.get(suffix, "jsonl")


class _Writer:
    def __init__(self, handle, fmt: str, fields: list[str]):
        self.handle, self.fmt = handle, fmt
        if fmt != "jsonl":
            self.csv = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore",
                                      delimiter="," if fmt == "csv" else "\t",
                                      lineterminator="\n")

    def header(self) -> None:
        if self.fmt != "jsonl":
            self.csv.writeheader()

    def write(self, record: dict) -> None:
        if self.fmt == "jsonl":
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        row = dict(record)
        if "themes" in row:
            row["themes"] = ";".join(row["themes"])
        if "dominant_themes" in row:
            row["dominant_themes"] = ";".join(row["dominant_themes"])
        if "explain" in row:
            row["explain"] = json.dumps(row["explain"], ensure_ascii=False)
        self.csv.writerow(row)


def _read_records(path: Path, fmt: str) -> Iterator[dict]:
    """Records of an output file; a trailing line cut off by an interruption is skipped."""
    with open(path, encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                if not line.endswith("\n"):
                    break
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    break
        else:
            yield from csv.DictReader(handle, delimiter="," if fmt == "csv" else "\t")


def _prepare_resume(output: Path, part: Path, fmt: str) -> set[str]:
    """Rebuild ``part`` from what an earlier run wrote, minus its last (maybe partial) article.

    Returns the ids of the articles kept, which this run skips.
    """
    if not part.exists():
        if not output.exists():
            return set()
        shutil.copyfile(output, part)
        complete = True
    else:
        complete = False
    kept = part.with_name(part.name + ".tmp")
    done: list[str] = []
    with open(kept, "w", encoding="utf-8", newline="") as handle:
        writer = _Writer(handle, fmt, SECTION_FIELDS)
        writer.header()
        last_id, buffer = None, []
        for record in _read_records(part, fmt):
            if record.get("article_id") != last_id:
                for r in buffer:
                    writer.write(_from_csv(r) if fmt != "jsonl" else r)
                if last_id is not None:
                    done.append(last_id)
                last_id, buffer = record.get("article_id"), []
            buffer.append(record)
        if complete and last_id is not None:  # a finished output: its last article is whole
            for r in buffer:
                writer.write(_from_csv(r) if fmt != "jsonl" else r)
            done.append(last_id)
    os.replace(kept, part)
    return set(done)


def _from_csv(row: dict) -> dict:
    out = {k: v for k, v in row.items() if v not in (None, "")}
    if "themes" in out or "section_id" in out:
        out["themes"] = [t for t in row.get("themes", "").split(";") if t]
    if "explain" in out:
        out["explain"] = json.loads(out["explain"])
    return out


def _summaries(path: Path, fmt: str) -> Iterator[dict]:
    """One summary per article, from the section records of a finished output."""
    current, rows = None, []

    def summary(article_id, rows):
        if len(rows) == 1 and rows[0].get("error"):
            return {"article_id": article_id, "n_sections": 0, "error": rows[0]["error"]}
        themes = [r["themes"] if isinstance(r["themes"], list) else
                  [t for t in r["themes"].split(";") if t] for r in rows]
        shares = {t: round(sum(t in th for th in themes) / len(rows), 4) for t in THEMES}
        return {"article_id": article_id, "n_sections": len(rows),
                **{f"share_{t}": v for t, v in shares.items()},
                "dominant_themes": [t for t, v in sorted(shares.items(), key=lambda kv: -kv[1])
                                    if v >= 0.25]}

    for record in _read_records(path, fmt):
        if record["article_id"] != current and rows:
            yield summary(current, rows)
            rows = []
        current = record["article_id"]
        rows.append(record)
    if rows:
        yield summary(current, rows)


# --- commands -------------------------------------------------------------------

def _predict(args) -> int:
    from tqdm import tqdm

    from renovml.batch import iter_tasks, run_tasks

    for option, given in (("--resume", args.resume), ("--summary", args.summary)):
        if given and not args.output:
            print(f"renovml predict: {option} needs --output FILE", file=sys.stderr)
            return 2
    fmt = _format_of(args.output, args.format)
    thresholds = dict(args.threshold)
    # Fail fast on a bad model path, in this process, before any worker starts.
    import renovml

    model = renovml.load(args.model, trusted=args.trusted)
    from renovml.model.tokens import set_backend

    set_backend(args.tokenizer)  # fails here, clearly, if rjieba is asked for and missing
    init_args = (args.model, args.trusted, args.unit, thresholds, args.explain, args.tokenizer)

    done: set[str] = set()
    if args.output:
        output = Path(args.output)
        part = output.with_name(output.name + ".part")
        if args.resume:
            done = _prepare_resume(output, part, fmt)
            logger.info("resuming: %d articles already in %s", len(done), output)
        handle = open(part, "a" if args.resume else "w", encoding="utf-8", newline="")
    else:
        handle = sys.stdout
    writer = _Writer(handle, fmt, SECTION_FIELDS)
    if not args.resume or handle.tell() == 0:
        writer.header()

    tasks = (t for t in iter_tasks(args.paths, text_field=args.text_field,
                                   id_field=args.id_field) if t.article_id not in done)
    n_articles = n_sections = 0
    failures: list[tuple[str, str]] = []
    progress = tqdm(unit=" articles", disable=args.quiet or not sys.stderr.isatty(),
                    file=sys.stderr)
    try:
        for records in run_tasks(tasks, jobs=args.jobs, init_args=init_args, model=model):
            for record in records:
                writer.write(record)
            handle.flush()
            n_articles += 1
            if len(records) == 1 and "error" in records[0]:
                failures.append((records[0]["article_id"], records[0]["error"]))
            else:
                n_sections += len(records)
            progress.update()
    finally:
        progress.close()
        if handle is not sys.stdout:
            handle.close()
    if args.output:
        os.replace(part, output)
        if args.summary:
            _write_summary(output, fmt, Path(args.summary))
    skipped = f", {len(done)} already done" if done else ""
    print(f"renovml: tagged {n_articles - len(failures)} articles ({n_sections} {args.unit}s)"
          f"{skipped}; {len(failures)} failed", file=sys.stderr)
    for article_id, message in failures[:50]:
        print(f"  failed: {article_id}: {message}", file=sys.stderr)
    if len(failures) > 50:
        print(f"  ... and {len(failures) - 50} more (see the error records)", file=sys.stderr)
    return 1 if failures else 0


def _write_summary(output: Path, fmt: str, path: Path) -> None:
    sfmt = _format_of(str(path), None)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = _Writer(handle, sfmt, SUMMARY_FIELDS)
        writer.header()
        for summary in _summaries(output, fmt):
            writer.write(summary)
    os.replace(tmp, path)


def _eval(args) -> int:
    import renovml

    model = renovml.load(args.model, trusted=args.trusted)
    result = {"corpus": args.corpus, **renovml.evaluate(model, args.corpus)}
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"{args.corpus}: {result['articles']} articles, {result['paragraphs']} paragraphs, "
          f"{result['sentences']} sentences")
    for unit in ("sentence", "paragraph"):
        s = result[unit]
        print(f"\n{unit:<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for t in THEMES:
            print(f"{t:<16}{s[t]['precision']:>10.3f}{s[t]['recall']:>10.3f}{s[t]['f1']:>10.3f}"
                  f"{s[t]['support']:>10d}")
        print(f"{'macro-F1':<16}{'':>20}{s['macro_f1']:>10.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(levelname)s %(name)s: %(message)s")
    from renovml.errors import RenovmlError

    try:
        if args.command == "predict":
            return _predict(args)
        return _eval(args)
    except RenovmlError as exc:
        print(f"renovml: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
