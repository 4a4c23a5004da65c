"""The command line: ``renovml predict`` and ``renovml eval``. The only module that
touches the terminal."""

from __future__ import annotations

import argparse
import csv
import glob
import json
import logging
import os
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from renovml.batch import (
    KNOWN_SUFFIXES,
    SECTION_FIELDS,
    Rendered,
    Spool,
    Writer,
    match_glob,
    summary_of,
)
from renovml.errors import InputError, RenovmlError
from renovml.text.encoding import json_objects
from renovml.themes import THEMES

__all__ = ["build_parser", "main"]

logger = logging.getLogger("renovml")

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


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
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
    p.add_argument("--format", choices=["jsonl", "csv", "tsv", "parquet"],
                   help="output format (default: from --output's extension, else jsonl; "
                        "with --scheduler, jsonl or parquet)")
    p.add_argument("--summary", metavar="FILE",
                   help="also write one record per article (.csv/.tsv or JSONL by extension)")
    p.add_argument("--unit", choices=["paragraph", "sentence"], default="paragraph")
    p.add_argument("--model", help="model artifact (default: the shipped model)")
    p.add_argument("--trusted", action="store_true",
                   help="unpickle a --model file that is not the shipped model: loading a model file "
                        "runs its code, so use this only for files you made or trust like code; a "
                        "manifest beside it is still checked")
    p.add_argument("--threshold", action="append", type=_threshold, default=[],
                   metavar="THEME=VALUE", help="override a theme's threshold (repeatable)")
    p.add_argument("--explain", type=_non_negative, default=0, metavar="N",
                   help="add the top N terms per theme to each record")
    p.add_argument("--text-field", default="text", help="text field of .jsonl/.csv records")
    p.add_argument("--id-field", help="id field of .jsonl/.csv records (default: FILE:LINE)")
    p.add_argument("--tokenizer", choices=["auto", "jieba", "rjieba"], default="auto",
                   help="word segmenter: auto (default: rjieba, jieba's Rust port, where it is "
                        "installed, else jieba), or force one; both give the same tokens")
    p.add_argument("-j", "--jobs", type=_positive, default=_cores(),
                   help="worker processes (default: all cores)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run into --output, skipping articles already there "
                        "(with --scheduler: the partitions already finished)")
    p.add_argument("--scheduler", metavar="ADDRESS|local:N",
                   help="tag on a Dask cluster (pip install 'renovml[dask]'): a scheduler address "
                        "(tcp://host:8786) or local:N for N local worker processes; --output then "
                        "names a directory that receives part-00000.jsonl ... and manifest.jsonl")
    p.add_argument("--partition-mb", type=float, metavar="MB",
                   help="with --scheduler: megabytes of input per partition (default: about 16 "
                        "partitions per worker, at most 8 MiB)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--report", metavar="HTML",
                   help="also write the HTML report of this run (needs -o/--output)")

    e = sub.add_parser("eval", help="score the model against a labelled corpus")
    e.add_argument("corpus", help="labelled corpus in the annotation format (.jsonl or directory)")
    e.add_argument("--model", help="model artifact (default: the shipped model)")
    e.add_argument("--trusted", action="store_true",
                   help="unpickle a --model file that is not the shipped model: loading a model file "
                        "runs its code, so use this only for files you made or trust like code; a "
                        "manifest beside it is still checked")
    e.add_argument("--format", choices=["text", "json"], default="text")

    trust_help = ("unpickle a --model file that is not the shipped model (loading a model file "
                  "runs its code)")
    a = sub.add_parser("annotate", help="the annotation loop: select, export, import")
    asub = a.add_subparsers(dest="action", required=True)
    s = asub.add_parser("select", help="pick the sentences the model is least sure of")
    s.add_argument("paths", nargs="+", metavar="PATH", help="unlabelled inputs, as for predict")
    s.add_argument("-n", type=_positive, required=True, help="sentences to pick")
    s.add_argument("-o", "--output", required=True, help="tasks file to write (.jsonl)")
    s.add_argument("--per-article", type=_positive, default=3,
                   help="at most this many picks from one article (default 3)")
    s.add_argument("--seed", type=int, default=0, help="breaks ties (default 0)")
    s.add_argument("--model", help="model artifact (default: the shipped model)")
    s.add_argument("--trusted", action="store_true", help=trust_help)
    s.add_argument("--text-field", default="text", help="text field of .jsonl/.csv records")
    s.add_argument("--id-field", help="id field of .jsonl/.csv records")
    x = asub.add_parser("export", help="write selected tasks for Label Studio or doccano")
    x.add_argument("tasks", help="a tasks file written by `renovml annotate select`")
    x.add_argument("--to", choices=["label-studio", "doccano"], required=True)
    x.add_argument("-o", "--output", required=True,
                   help="file to write (Label Studio: JSON, with its labelling config written "
                        "beside it as NAME.config.xml; doccano: JSONL)")
    i = asub.add_parser("import", help="read a labelling tool's export back as a corpus")
    i.add_argument("export", help="the tool's export of renovml's tasks")
    i.add_argument("--from", dest="tool", choices=["label-studio", "doccano"], required=True)
    i.add_argument("-o", "--output", required=True, help="corpus file to write (.jsonl)")

    t = sub.add_parser("tune", help="re-tune a model's thresholds on your labels, no retraining")
    t.add_argument("corpus", help="labelled corpus (.jsonl or directory; minimal records too)")
    t.add_argument("-o", "--output", required=True, help="directory for the tuned model")
    t.add_argument("--model", help="model artifact (default: the shipped model)")
    t.add_argument("--trusted", action="store_true", help=trust_help)
    t.add_argument("--min-positives", type=_positive, default=5,
                   help="a theme with fewer labelled positives keeps its threshold (default 5)")

    r = sub.add_parser("report", help="one self-contained HTML page: article and corpus views")
    r.add_argument("tagged", help="the output of `renovml predict` (.jsonl, .csv or .tsv)")
    r.add_argument("--summary", metavar="FILE", help="the --summary file of the same run")
    r.add_argument("--metadata", metavar="FILE", action="append",
                   help="metadata keyed by article_id or id: .csv, .tsv, .jsonl or a directory of "
                        "them (province, year or date, genre, source; corpus records and predict's "
                        "own inputs work as they are); repeatable")
    r.add_argument("--metadata-key", metavar="F",
                   help="the metadata field holding the article id (default: article_id, else id)")
    r.add_argument("--title", default="renovml report", help="the page's title")
    r.add_argument("--no-articles", action="store_true",
                   help="the corpus view and the index only, without a view of each article")
    r.add_argument("-o", "--output", required=True, help="HTML file to write")
    return parser


# --- output ---------------------------------------------------------------------

EXIT_STOPPED = 3


def _format_of(path: str | None, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower() if path else ""
    return {".csv": "csv", ".tsv": "tsv"}.get(suffix, "jsonl")


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (os.write may write only part)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_records(path: Path, fmt: str) -> Iterator[dict]:
    """Records of an output file (complete ones only)."""
    with open(path, encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                if not line.endswith("\n"):
                    break
                yield json.loads(line)
        else:
            yield from csv.DictReader(handle, delimiter="," if fmt == "csv" else "\t")


# --- the run manifest -------------------------------------------------------------

class _Manifest:
    """``OUT.manifest``: a JSONL file with one header line, then one line per input record
    finished, written after that record's output reached ``OUT.part``:
    ``{"key", "id", "n", "failed", "end"}``: its stable key (resolved path, plus line or
    row in a records file), its article id, how many output records it has, whether it
    failed, and the byte offset in the output where its records end."""

    VERSION = 1

    def __init__(self, path: Path):
        self.path = path

    def header(self, fmt: str, unit: str, data_start: int) -> dict:
        return {"renovml_run": self.VERSION, "format": fmt, "unit": unit,
                "data_start": data_start}

    def read(self, size: int) -> tuple[dict | None, list[dict]]:
        """The header and the entries whose records lie within the first ``size`` bytes of
        the output; a line cut off by an interruption ends the list."""
        header, entries, end = None, [], 0
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return None, []
        with handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    item = json.loads(line)
                except ValueError:
                    break
                if header is None:
                    if not isinstance(item, dict) or item.get("renovml_run") != self.VERSION:
                        return None, []
                    header, end = item, item["data_start"]
                    continue
                if not isinstance(item, dict) or not end <= item.get("end", -1) <= size:
                    break
                entries.append(item)
                end = item["end"]
        return header, entries

    def rewrite(self, header: dict, entries: list[dict]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            for item in (header, *entries):
                handle.write(json.dumps(item) + "\n")
        os.replace(tmp, self.path)


# --- checks before any work -------------------------------------------------------

def _is_discard(path: str) -> bool:
    return os.path.realpath(path) == os.devnull


def _check_target(option: str, path: str) -> str | None:
    """Why ``path`` cannot be written as ``option``'s file, or None."""
    if os.path.isdir(path):
        return f"{option} {path!r} is a directory, expected a file name"
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        return f"{option} {path!r}: its directory {parent!r} does not exist"
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{option} {path!r} cannot be inspected ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return (f"{option} {path!r} is a symbolic link; name the file itself "
                "(writing would replace the link)")
    if not stat.S_ISREG(mode):
        return (f"{option} {path!r} is not a regular file (a FIFO, socket or device); "
                f"expected a file name, {os.devnull} or -")
    return None


def _check_outputs(args) -> str | None:
    """Why the output options cannot work, or None: checked before any work starts."""
    output = args.output
    if output is None or output == "-" or _is_discard(output):
        for option, given in (("--resume", args.resume), ("--summary", args.summary)):
            if given:
                return f"{option} needs --output FILE"
        return None
    targets = [("-o/--output", output)] + ([("--summary", args.summary)] if args.summary else [])
    for option, path in targets:
        if option == "--summary" and (path == "-" or _is_discard(path)):
            continue
        problem = _check_target(option, path)
        if problem:
            return problem
    real_out = os.path.realpath(output)
    if args.summary and os.path.realpath(args.summary) == real_out:
        return f"--summary {args.summary!r} is the same file as --output; name another file"
    for option, path in targets:
        real = os.path.realpath(path)
        for raw in args.paths:
            if raw == "-":
                continue
            named = [raw] if os.path.lexists(raw) or not glob.has_magic(raw) else match_glob(raw)
            for name in named:
                real_in = os.path.realpath(name)
                if real == real_in:
                    return f"{option} {path!r} is also an input; name another file"
                if (os.path.isdir(name) and real.startswith(real_in.rstrip(os.sep) + os.sep)
                        and Path(path).suffix.lower() in KNOWN_SUFFIXES):
                    return (f"{option} {path!r} is inside the input directory {name!r}, where "
                            "a later run would read it as an input; write it elsewhere")
    return None


def _lock(output: Path):
    """An exclusive lock on ``OUT.lock``, held while the run writes ``OUT``; None if
    another run holds it."""
    import fcntl

    lock_path = output.with_name(output.name + ".lock")
    try:
        handle = open(lock_path, "a")
    except OSError as exc:
        raise RenovmlError(f"cannot create the lock file {lock_path} beside the output "
                           f"({exc.strerror or exc}); expected a writable directory") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


# --- the run ------------------------------------------------------------------------

class _Stopped(BaseException):
    """SIGTERM or SIGINT arrived: stop the run. A BaseException, like KeyboardInterrupt,
    so that no ``except Exception`` on the way turns it into an error record."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _RunOutput:
    """The section output of a run: ``OUT.part`` and its manifest, or a stream."""

    def __init__(self, args, fmt: str):
        self.fmt, self.unit = fmt, args.unit
        self.writer = Writer(fmt, SECTION_FIELDS)
        self.done: dict[str, bool] = {}  # key -> failed, for inputs an earlier run finished
        self.fd = self.manifest_handle = None
        self.stream = None
        self.output = None
        if args.output is None or args.output == "-":
            self.stream = sys.stdout
        elif _is_discard(args.output):
            self.stream = open(os.devnull, "w", encoding="utf-8")
        else:
            self.output = Path(args.output)
            self.part = self.output.with_name(self.output.name + ".part")
            self.manifest = _Manifest(self.output.with_name(self.output.name + ".manifest"))

    def open(self, resume: bool) -> None:
        """Start the output, or continue an earlier run's (raises RenovmlError if it cannot
        be continued safely)."""
        if self.stream is not None:
            self.stream.write(self.writer.header())
            return
        entries: list[dict] = []
        if resume and (self.part.exists() or self.output.exists()):
            if not self.part.exists():
                shutil.copyfile(self.output, self.part)
            header, entries = self.manifest.read(self.part.stat().st_size)
            if header is None:
                raise RenovmlError(
                    f"cannot resume: {self.part} has no run manifest {self.manifest.path} "
                    "to say which inputs it holds; run again without --resume")
            if (header["format"], header["unit"]) != (self.fmt, self.unit):
                raise RenovmlError(
                    f"cannot resume: {self.part} holds {header['unit']}s as "
                    f"{header['format']}, this run asks for {self.unit}s as {self.fmt}")
            end = entries[-1]["end"] if entries else header["data_start"]
            self.fd = os.open(self.part, os.O_WRONLY)
            os.truncate(self.fd, end)  # drops a record cut off mid-line or mid-character
            os.lseek(self.fd, end, os.SEEK_SET)
            self.manifest.rewrite(header, entries)
            self.offset = end
            self.done = {e["key"]: bool(e["failed"]) for e in entries}
        else:
            self.fd = os.open(self.part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            head = self.writer.header().encode("utf-8")
            _write_all(self.fd, head)
            self.offset = len(head)
            self.manifest.rewrite(self.manifest.header(self.fmt, self.unit, self.offset), [])
        self.manifest_handle = open(self.manifest.path, "a", encoding="utf-8")

    def write(self, task, records: Rendered | Iterable[dict]) -> tuple[int, str | None]:
        """Write one input's records (rendered by a worker already, or records), then its
        manifest line. Returns (number of records, error message or None)."""
        if isinstance(records, Rendered):
            n, error = records.n, records.error
            self._emit(records.text)
        else:
            n, error = 0, None
            for record in records:
                self.writer.add(record)
                n += 1
                error = record.get("error") if n == 1 else None
                if self.writer.size() > 1 << 20:
                    self._emit(self.writer.take())
            self._emit(self.writer.take())
        if self.manifest_handle is not None:
            self.manifest_handle.write(json.dumps(
                {"key": task.key, "id": task.article_id, "n": n, "failed": error is not None,
                 "end": self.offset}) + "\n")
            self.manifest_handle.flush()
        return n, error

    def _emit(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()
            return
        data = text.encode("utf-8")
        _write_all(self.fd, data)
        self.offset += len(data)

    def close(self) -> None:
        """Close the files; the ``.part`` and manifest stay as they are."""
        for close in (lambda: self.fd is not None and os.close(self.fd),
                      lambda: self.manifest_handle and self.manifest_handle.close(),
                      lambda: self.stream not in (None, sys.stdout) and self.stream.close()):
            try:
                close()
            except OSError:
                pass
        self.fd = self.manifest_handle = None

    def finish(self) -> None:
        """Make the output complete: ``OUT.part`` becomes ``OUT``."""
        if self.output is not None:
            os.fsync(self.fd)
            self.close()
            os.replace(self.part, self.output)
        else:
            self.close()


def _summaries(output: Path, fmt: str, manifest: _Manifest) -> Iterator[dict]:
    """One summary per input record, from a finished output and its manifest."""
    _, entries = manifest.read(output.stat().st_size)
    records = _read_records(output, fmt)
    for entry in entries:
        rows = [next(records) for _ in range(entry["n"])]
        if entry["failed"]:
            yield {"article_id": entry["id"], "n_sections": 0, "error": rows[0].get("error")}
            continue
        yield summary_of(entry["id"], rows)


def _write_summary(output: Path, fmt: str, manifest: _Manifest, path: Path) -> None:
    _write_summaries(_summaries(output, fmt, manifest), path)


def _write_summaries(summaries: Iterable[dict], path: Path) -> None:
    sfmt = _format_of(str(path), None)
    tmp = path.with_name(path.name + ".part")
    writer = Writer(sfmt, SUMMARY_FIELDS)
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(writer.header())
        for summary in summaries:
            writer.add(summary)
            handle.write(writer.take())
    os.replace(tmp, path)


# --- commands -------------------------------------------------------------------

def _on_signal(signum, frame):
    raise _Stopped(signum)


def _predict(args) -> int:
    from renovml.batch import iter_tasks, run_tasks

    if args.scheduler:
        return _predict_on_cluster(args)
    if args.format == "parquet" or args.partition_mb:
        print("renovml predict: --format parquet and --partition-mb need --scheduler",
              file=sys.stderr)
        return 2
    problem = _check_outputs(args)
    if not problem and args.report:
        if args.output is None or args.output == "-" or _is_discard(args.output):
            problem = "--report needs -o/--output FILE: the report is made from that file"
        elif _same_file(args.report, [args.output, args.summary]):
            problem = f"--report {args.report!r} is the same file as --output or --summary"
        elif not Path(args.report).resolve().parent.is_dir():
            problem = f"--report {args.report!r}: its directory does not exist"
    if problem:
        print(f"renovml predict: {problem}", file=sys.stderr)
        return 2
    fmt = _format_of(args.output, args.format)
    out = _RunOutput(args, fmt)
    lock = None
    if out.output is not None:
        lock = _lock(out.output)
        if lock is None:
            print(f"renovml predict: another run is writing {out.output} (it holds "
                  f"{out.output}.lock); wait for it to finish", file=sys.stderr)
            return 2
    try:
        return _predict_locked(args, fmt, out, _progress, iter_tasks, run_tasks)
    finally:
        if lock is not None:
            lock.close()


def _predict_locked(args, fmt, out, progress_bar, iter_tasks, run_tasks) -> int:
    thresholds = dict(args.threshold)
    # Fail fast on a bad model path, in this process, before any worker starts.
    import renovml

    model = renovml.load(args.model, trusted=args.trusted)
    from renovml.model.tokens import set_backend

    set_backend(args.tokenizer)  # fails here, clearly, if rjieba is asked for and missing
    init_args = (args.model, args.trusted, args.unit, thresholds, args.explain, args.tokenizer)

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    counts = {"seen": 0, "tagged": 0, "failed": 0, "skipped": 0, "sections": 0,
              "skipped_failed": 0}
    failures: list[tuple[str, str]] = []

    def pending(tasks):
        for task in tasks:
            counts["seen"] += 1
            if task.key in out.done:
                counts["skipped"] += 1
                counts["skipped_failed"] += out.done[task.key]
                continue
            yield task

    progress = progress_bar(unit=" articles", disable=args.quiet or not sys.stderr.isatty(),
                            file=sys.stderr)
    where = out.part if out.output is not None else None
    stopped = results = None
    try:
        out.open(args.resume)
        if out.done:
            logger.info("resuming: %d inputs already in %s", len(out.done), where)
        tasks = pending(iter_tasks(args.paths, text_field=args.text_field,
                                   id_field=args.id_field))
        # Workers write the records out as text: this process only copies it to the file.
        results = run_tasks(tasks, jobs=args.jobs, init_args=init_args, model=model,
                            render=fmt)
        for task, result in results:
            n, error = out.write(task, result.records() if isinstance(result, Spool)
                                 else result)
            if error is not None:
                counts["failed"] += 1
                failures.append((task.article_id, error))
            else:
                counts["tagged"] += 1
                counts["sections"] += n
            progress.update()
        out.finish()
    except _Stopped as exc:
        stopped = f"stopped by {exc}"
        code = 128 + exc.signum
    except OSError as exc:
        if where is None:
            raise
        stopped = f"writing {where} failed ({exc.strerror or exc})"
        code = EXIT_STOPPED
    finally:
        if results is not None:
            results.close()  # on a stop: workers terminated, spooled records deleted
        progress.close()
        out.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    finished = counts["tagged"] + counts["failed"]
    if stopped:
        if where is None:
            print(f"renovml: {stopped} after {finished} inputs", file=sys.stderr)
        else:
            print(f"renovml: {stopped}; {where} keeps every input finished so far "
                  f"({finished} in this run, {counts['skipped']} before): run the same "
                  "command with --resume to finish it", file=sys.stderr)
        return code
    if counts["seen"] != finished + counts["skipped"]:
        raise RenovmlError(f"run bookkeeping does not add up: {counts}")
    if args.summary:
        _write_summary(out.output, fmt, out.manifest, Path(args.summary))
    if args.report:
        from renovml.report import render

        # Records inputs double as metadata (a corpus record's place and date, a crawl's fields).
        records_files = [p for p in args.paths if Path(p).suffix.lower() in (".jsonl", ".csv", ".tsv")
                         and Path(p).is_file()]
        _write_text(args.report, render(_read_records(out.output, fmt), summary=args.summary,
                                        metadata=records_files, metadata_key=args.id_field))
    earlier = (f" ({counts['skipped_failed']} of them failed)" if counts["skipped_failed"]
               else "")
    print(f"renovml: {counts['seen']} inputs: tagged {counts['tagged']} articles "
          f"({counts['sections']} {args.unit}s), {counts['failed']} failed, "
          f"{counts['skipped']} skipped as already done{earlier}", file=sys.stderr)
    for article_id, message in failures[:50]:
        print(f"  failed: {article_id}: {message}", file=sys.stderr)
    if len(failures) > 50:
        print(f"  ... and {len(failures) - 50} more (see the error records)", file=sys.stderr)
    return 1 if failures or counts["skipped_failed"] else 0


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(*, disable: bool, **kwargs):
    """A tqdm progress bar, or a stand-in when there is none to draw (standard error is no
    terminal, or --quiet), without importing tqdm: about 20 ms of a run's start-up."""
    if disable:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(**kwargs)


def _same_file(path: str, others: list[str | None]) -> bool:
    return any(x and os.path.realpath(x) == os.path.realpath(path) for x in others)


def _report(args) -> int:
    from renovml.report import render

    if _same_file(args.output, [args.tagged, args.summary, *(args.metadata or [])]):
        print(f"renovml report: -o {args.output!r} is one of its inputs; name another file",
              file=sys.stderr)
        return 2
    html = render(args.tagged, summary=args.summary, metadata=args.metadata,
                  metadata_key=args.metadata_key, title=args.title,
                  article_views=not args.no_articles)
    _write_text(args.output, html)
    print(f"renovml: report of {args.tagged} -> {args.output} "
          f"({len(html.encode()) / 1e6:.1f} MB)", file=sys.stderr)
    return 0


def _check_cluster_output(args) -> str | None:
    """Why --scheduler cannot write where --output says, or None."""
    if args.output is None or args.output == "-" or _is_discard(args.output):
        return "--scheduler needs --output DIR, a directory for the partitioned output"
    if "-" in args.paths:
        return "--scheduler cannot read standard input (-); name files or directories"
    if getattr(args, "report", None):
        return "--report does not work with --scheduler yet; run without --report"
    if args.format in ("csv", "tsv"):
        return "--scheduler writes jsonl or parquet; use --format jsonl or --format parquet"
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        return f"-o/--output {args.output!r} is a file; with --scheduler, name a directory"
    real_out = os.path.realpath(args.output)
    if args.summary and os.path.realpath(args.summary).startswith(real_out.rstrip(os.sep) + os.sep):
        return f"--summary {args.summary!r} is inside the output directory; write it elsewhere"
    for raw in args.paths:
        named = [raw] if os.path.lexists(raw) or not glob.has_magic(raw) else match_glob(raw)
        for name in named:
            real_in = os.path.realpath(name)
            if real_in == real_out or (os.path.isdir(name) and real_out.startswith(
                    real_in.rstrip(os.sep) + os.sep)):
                return (f"-o/--output {args.output!r} is inside the input {name!r}, where a "
                        "later run would read its parts as inputs; write it elsewhere")
    return None


def _predict_on_cluster(args) -> int:
    """``renovml predict --scheduler``: the work is renovml.dask.predict_partitioned's."""
    problem = _check_cluster_output(args)
    if problem:
        print(f"renovml predict: {problem}", file=sys.stderr)
        return 2
    from renovml.dask import predict_partitioned, read_summaries

    output = Path(args.output)
    lock = _lock(output)
    if lock is None:
        print(f"renovml predict: another run is writing {output} (it holds {output}.lock); "
              "wait for it to finish", file=sys.stderr)
        return 2
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    progress = _progress(unit=" partitions", disable=args.quiet or not sys.stderr.isatty(),
                         file=sys.stderr)
    try:
        report = predict_partitioned(
            args.paths, output, scheduler=args.scheduler, model=args.model,
            trusted=args.trusted, unit=args.unit, thresholds=dict(args.threshold),
            explain=args.explain, tokenizer=args.tokenizer, text_field=args.text_field,
            id_field=args.id_field, fmt=args.format or "jsonl", resume=args.resume,
            blocksize=int(args.partition_mb * 2**20) if args.partition_mb else None,
            on_partition=lambda entry: progress.update())
    except _Stopped as exc:
        print(f"renovml: stopped by {exc}; {output} keeps every partition finished so far: "
              "run the same command with --resume to finish it", file=sys.stderr)
        return 128 + exc.signum
    finally:
        progress.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        lock.close()
    if args.summary:
        _write_summaries(read_summaries(output), Path(args.summary))
    print(f"renovml: {report['inputs']} inputs in {report['partitions']} partitions: tagged "
          f"{report['tagged']} articles ({report['sections']} {args.unit}s), {report['failed']} "
          f"failed, {report['skipped_partitions']} partitions skipped as already done",
          file=sys.stderr)
    for article_id, message in report["failures"]:
        print(f"  failed: {article_id}: {message}", file=sys.stderr)
    if report["failed"] > len(report["failures"]):
        print(f"  ... and {report['failed'] - len(report['failures'])} more (see the error "
              "records)", file=sys.stderr)
    return 1 if report["failed"] else 0


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


def _write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{path}: is a directory; expected a file to write")
    if not target.parent.exists():
        raise InputError(f"{path}: directory {target.parent} does not exist")
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def _jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _annotate(args) -> int:
    from renovml import annotate

    inputs = {"select": lambda: args.paths, "export": lambda: [args.tasks],
              "import": lambda: [args.export]}[args.action]()
    outputs = [args.output]
    if args.action == "export" and args.to == "label-studio":
        outputs.append(str(Path(args.output).with_suffix(".config.xml")))
    clash = next((o for o in outputs if _same_file(o, inputs)), None)
    if clash:
        raise InputError(f"{clash}: is one of this command's inputs; write to another file")
    if args.action == "select":
        import renovml

        model = renovml.load(args.model, trusted=args.trusted) if args.model else None
        tasks, errors = annotate.select(args.paths, args.n, model=model,
                                        per_article=args.per_article, seed=args.seed,
                                        text_field=args.text_field, id_field=args.id_field)
        _write_text(args.output, _jsonl(tasks))
        picked = sum(s["picked"] for t in tasks for s in t["sentences"])
        print(f"renovml: picked {picked} sentences in {len(tasks)} articles -> {args.output}",
              file=sys.stderr)
        for error in errors:
            print(f"  failed: {error['error']}", file=sys.stderr)
        return 1 if errors else 0
    if args.action == "export":
        tasks = _read_tasks(args.tasks)
        if args.to == "label-studio":
            _write_text(args.output, json.dumps(annotate.to_label_studio(tasks),
                                                ensure_ascii=False, indent=1) + "\n")
            config = Path(args.output).with_suffix(".config.xml")
            _write_text(str(config), annotate.label_studio_config())
            print(f"renovml: {len(tasks)} tasks -> {args.output}; labelling config -> {config}",
                  file=sys.stderr)
        else:
            _write_text(args.output, _jsonl(annotate.to_doccano(tasks)))
            print(f"renovml: {len(tasks)} records -> {args.output}", file=sys.stderr)
        return 0
    read = annotate.from_label_studio if args.tool == "label-studio" else annotate.from_doccano
    if not Path(args.export).is_file():
        raise InputError(f"{args.export}: no such file; expected the tool's export")
    records = read(args.export)
    from renovml.training.corpus import validate_corpus

    validate_corpus(records, check_reserved=False)
    _write_text(args.output, _jsonl(records))
    labelled = sum(s["labels"] is not None for r in records for p in r["paragraphs"]
                   for s in p["sentences"])
    print(f"renovml: {len(records)} articles, {labelled} labelled sentences -> {args.output}",
          file=sys.stderr)
    return 0


def _read_tasks(path: str) -> list[dict]:
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file; expected a tasks file from "
                         "`renovml annotate select`")
    tasks = []
    with open(path, encoding="utf-8") as handle:
        for n, task in json_objects(handle, path):
            if not {"id", "text", "sentences"} <= set(task):
                raise InputError(f"{path}:{n}: expected a task from `renovml annotate select` "
                                 "(id, text, sentences)")
            tasks.append(task)
    return tasks


def _tune(args) -> int:
    import renovml
    from renovml import annotate
    from renovml.model.artifact import shipped_model_path

    tuned_from = Path(args.model) if args.model else shipped_model_path()
    if tuned_from.is_dir():
        tuned_from = tuned_from / "renovml-themes.joblib"
    if tuned_from.resolve().parent == Path(args.output).resolve():
        raise InputError(f"{args.output}: holds the model being tuned; write the tuned model "
                         "to another directory")
    model = renovml.load(args.model, trusted=args.trusted)
    tuned, report = annotate.tune(model, args.corpus, min_positives=args.min_positives)
    artifact = annotate.save_tuned(tuned, report, args.output)
    for unit, r in report["units"].items():
        if "themes" not in r:
            print(f"{unit}: {r['kept']}; thresholds kept")
            continue
        print(f"{unit} ({r['sections']} labelled): macro-F1 on your labels "
              f"{r['macro_f1_old']:.3f} -> {r['macro_f1_new']:.3f}")
        for t, x in r["themes"].items():
            note = "" if x["moved"] else f"  (kept: {x['positives']} positives)"
            print(f"  {t:<16}{x['old']:.2f} -> {x['new']:.2f}   F1 {x['f1_old']:.3f} -> "
                  f"{x['f1_new']:.3f}{note}")
    print(f"wrote {artifact} (load it with --model {artifact} --trusted)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "predict":
            return _predict(args)
        if args.command == "annotate":
            return _annotate(args)
        if args.command == "tune":
            return _tune(args)
        if args.command == "report":
            return _report(args)
        return _eval(args)
    except RenovmlError as exc:
        print(f"renovml: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
