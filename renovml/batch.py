"""Batch prediction: inputs -> tasks -> tagged records, streamed, in order, across processes.

Inputs are enumerated lazily (files, directories searched recursively, glob
patterns, standard input; JSONL and CSV/TSV read record by record), each article
becomes a task, and tasks run in worker processes that each load jieba and the
model once. At most a few tasks per worker are in flight, so memory stays flat
however many articles there are, and results come back in input order.
"""

from __future__ import annotations

import csv
import glob
import json
import logging
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from renovml.errors import InputError

__all__ = ["Task", "iter_tasks", "run_tasks", "tag_tasks"]

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".tsv"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES

# csv's default field limit (128 KiB) is below a long article.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Task:
    """One article to tag: its id and where its text comes from.

    ``kind`` is ``text`` or ``html`` (``path`` names a file, or ``data`` holds its
    bytes), ``record`` (``data`` is the text), or ``error`` (``data`` says what went
    wrong while reading it).
    """

    article_id: str
    kind: str
    path: str | None = None
    data: str | bytes | None = None


def _kind_of(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".tsv":
        return "tsv"
    return "text"


def _expand(paths: Iterable[str]) -> Iterator[str]:
    """Files named, found below directories (sorted), or matched by glob patterns."""
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        if os.path.isdir(raw):
            for root, dirs, files in os.walk(raw):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in KNOWN_SUFFIXES:
                        yield os.path.join(root, name)
            continue
        if os.path.exists(raw) or not glob.has_magic(raw):
            yield raw  # a missing file becomes an error record downstream
            continue
        matches = sorted(glob.glob(raw, recursive=True))
        if not matches:
            yield raw
        for match in matches:
            if os.path.isdir(match):
                yield from _expand([match])
            else:
                yield match


def _records_from_jsonl(lines: Iterable[str], source: str, text_field: str,
                        id_field: str | None) -> Iterator[Task]:
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        default_id = f"{source}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Task(default_id, "error", data=f"line {line_no} is not valid JSON ({exc.msg})")
            continue
        yield _record_task(record, default_id, text_field, id_field, f"line {line_no}")


def _record_task(record, default_id: str, text_field: str, id_field: str | None,
                 where: str) -> Task:
    if not isinstance(record, dict):
        return Task(default_id, "error", data=f"{where} is not an object")
    article_id = default_id
    if id_field:
        if record.get(id_field) in (None, ""):
            return Task(default_id, "error", data=f"{where} has no id field {id_field!r}")
        article_id = str(record[id_field])
    text = record.get(text_field)
    if not isinstance(text, str):
        found = ", ".join(map(repr, list(record)[:8]))
        return Task(article_id, "error",
                    data=f"{where} has no text field {text_field!r} (fields: {found})")
    return Task(article_id, "record", data=text)


def _records_from_csv(handle, source: str, delimiter: str, text_field: str,
                      id_field: str | None) -> Iterator[Task]:
    reader = csv.DictReader(handle, delimiter=delimiter)
    if reader.fieldnames is None:
        return
    if text_field not in reader.fieldnames:
        yield Task(source, "error", data=f"no column {text_field!r} (columns: "
                                         f"{', '.join(reader.fieldnames)})")
        return
    for row_no, row in enumerate(reader, 2):
        yield _record_task(row, f"{source}:{row_no}", text_field, id_field, f"row {row_no}")


def iter_tasks(paths: Iterable[str], *, text_field: str = "text", id_field: str | None = None,
               stdin=None) -> Iterator[Task]:
    """Every article named by ``paths``, as tasks, in order; never raises for a bad input."""
    for path in _expand(paths):
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin
            # Read bytes where there are any, so GB18030 or Big5 on a pipe decodes too.
            data = getattr(stream, "buffer", stream).read()
            if isinstance(data, bytes):
                try:
                    from renovml.text.encoding import decode_bytes

                    data = decode_bytes(data, name="<stdin>")
                except InputError as exc:
                    yield Task("-", "error", data=str(exc))
                    continue
            if data.lstrip().startswith("{"):
                yield from _records_from_jsonl(data.splitlines(), "-", text_field, id_field)
            else:
                yield Task("-", "record", data=data)
            continue
        kind = _kind_of(path)
        if not os.path.isfile(path):
            yield Task(path, "error", data=f"{path}: no such file")
            continue
        if kind in ("text", "html"):
            yield Task(path, kind, path=path)
            continue
        yield from _records_of_file(path, kind, text_field, id_field)


def _records_of_file(path: str, kind: str, text_field: str, id_field: str | None):
    """The records of a .jsonl/.csv/.tsv file, read line by line; a file that stops
    decoding part-way yields an error task for the rest of it."""
    from renovml.text.encoding import open_text

    try:
        handle = open_text(path)
    except InputError as exc:
        yield Task(path, "error", data=str(exc))
        return
    with handle:
        try:
            if kind == "jsonl":
                yield from _records_from_jsonl(handle, path, text_field, id_field)
            else:
                yield from _records_from_csv(handle, path, "," if kind == "csv" else "\t",
                                             text_field, id_field)
        except UnicodeDecodeError as exc:
            yield Task(f"{path}:rest", "error",
                       data=f"{path}: stops decoding as {handle.encoding} part-way "
                            f"({exc.reason}); the records after that point were not read")


# --- the work done for each task, in a worker process -------------------------

_worker_state: dict = {}


def init_worker(model_path: str | None, trusted: bool, unit: str, thresholds: dict,
                explain: int, backend: str = "jieba", model=None) -> None:
    """Load the model (unless given) and the word segmenter once per process."""
    import renovml
    from renovml.model import tokens as _tokens

    _tokens.set_backend(backend)
    if model is None:
        model = renovml.load(model_path, trusted=trusted)
    _worker_state.update(model=model, unit=unit, thresholds=thresholds, explain=explain)
    _tokens.tokenize("老旧小区")  # build the segmenter now, not inside the first article


def _article_of(task: Task):
    from renovml.text.encoding import read_text
    from renovml.text.markup import extract_main_text
    from renovml.text.sections import Article

    if task.kind == "error":
        raise InputError(task.data)
    if task.kind == "record":
        raw = task.data
    else:
        raw = read_text(task.path) if task.path else read_text(task.data)
        if task.kind == "html":
            raw = extract_main_text(raw)
    if not raw.strip():
        raise InputError(f"{task.article_id}: empty article, expected text")
    return Article.from_text(raw, id=task.article_id)


def _error(task: Task, exc: Exception) -> list[dict]:
    if not isinstance(exc, InputError):
        logger.error("unexpected error on %s: %r", task.article_id, exc)
        return [{"article_id": task.article_id, "error": f"{type(exc).__name__}: {exc}"}]
    return [{"article_id": task.article_id, "error": str(exc)}]


def tag_tasks(tasks: list[Task]) -> list[list[dict]]:
    """Records for each task, in order: one per section, or a single error record.

    The readable articles of the batch go through the model in one pass.
    """
    state = _worker_state
    results: list[list[dict] | None] = [None] * len(tasks)
    articles, where = [], []
    for i, task in enumerate(tasks):
        try:
            articles.append(_article_of(task))
            where.append(i)
        except Exception as exc:  # one bad article must not end a run over ten thousand
            results[i] = _error(task, exc)
    try:
        tagged_all = state["model"].tag_many(articles, unit=state["unit"],
                                             thresholds=state["thresholds"])
    except Exception:  # find the article that breaks the batch, keep the others
        tagged_all = []
        for i, article in zip(where, articles):
            try:
                tagged_all.append(state["model"].tag(article, unit=state["unit"],
                                                     thresholds=state["thresholds"]))
            except Exception as exc:
                tagged_all.append(exc)
    for i, tagged in zip(where, tagged_all):
        if isinstance(tagged, Exception):
            results[i] = _error(tasks[i], tagged)
            continue
        records = []
        for st in tagged.sections:
            record = {"article_id": tasks[i].article_id, **st.as_record()}
            if state["explain"]:
                record["explain"] = {
                    t: [[term, w] for term, w in terms]
                    for t, terms in state["model"].explain(st.section.text,
                                                           top=state["explain"]).items()}
            records.append(record)
        results[i] = records
    return results


def _batches(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    batch: list[Task] = []
    for task in tasks:
        batch.append(task)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_tasks(tasks: Iterable[Task], *, jobs: int, init_args: tuple, model=None,
              batch_size: int = 16) -> Iterator[list[dict]]:
    """Tag tasks in order, in ``jobs`` worker processes (in this process when ``jobs == 1``,
    reusing ``model`` if it is loaded already).

    Tasks go to the model ``batch_size`` articles at a time; at most ``4 * jobs``
    batches are in flight, so memory does not grow with the input.
    """
    if jobs <= 1:
        init_worker(*init_args, model=model)
        for batch in _batches(tasks, batch_size):
            yield from tag_tasks(batch)
        return
    window = 4 * jobs
    with ProcessPoolExecutor(max_workers=jobs, initializer=init_worker,
                             initargs=init_args) as pool:
        pending: deque = deque()
        for batch in _batches(tasks, batch_size):
            pending.append(pool.submit(tag_tasks, batch))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
