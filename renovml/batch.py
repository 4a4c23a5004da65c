"""Batch prediction: inputs -> tasks -> tagged records, streamed, in order, across processes.

Inputs are enumerated lazily (files, directories searched recursively, glob
patterns, standard input; JSONL and CSV/TSV read record by record), each input
record becomes a task with a stable key (its resolved path, plus its position in
a records file), and tasks run in worker processes that each load jieba and the
model once. At most a few tasks per worker are in flight, so memory stays flat
however many articles there are, and results come back in input order. A huge
article is tagged a chunk of paragraphs at a time and its records are spooled to
a temporary file, so memory does not grow with the article either.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import logging
import os
import re
import signal
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from renovml.errors import InputError
from renovml.themes import THEMES

__all__ = ["SECTION_FIELDS", "Rendered", "Spool", "Task", "Writer", "escape_surrogates",
           "iter_tasks", "match_glob", "run_tasks", "summary_of", "tag_tasks"]

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".tsv"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
# An article longer than this (characters of a record, bytes of a .txt file) is read and
# cleaned a block of lines at a time and tagged a chunk of paragraphs at a time.
LARGE_ARTICLE_CHARS = 1 << 20
BLOCK_CHARS = 1 << 18
CHUNK_PARAGRAPHS = 500

# csv's default field limit (128 KiB) is below a long article.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Task:
    """One input record to tag: its id, its stable key, and where its text comes from.

    ``kind`` is ``text`` or ``html`` (``path`` names a file, or ``data`` holds its
    bytes), ``record`` (``data`` is the text), or ``error`` (``data`` says what went
    wrong while reading it). ``key`` identifies the input record across runs: the
    resolved path of its file, plus its line or row for a record of a records file;
    unlike ``article_id`` it is unique within a run.
    """

    article_id: str
    kind: str
    path: str | None = None
    data: str | bytes | None = None
    key: str = ""


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


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _walk(top: str, seen_dirs: set[str]) -> Iterator[tuple[str, str | None, str | None]]:
    """(path, None, real path) for the known files below ``top``, sorted, then its
    subdirectories'; (path, message, None) for a directory that cannot be read. A directory
    reached twice (a symlink loop, or two links to one place) is walked once. A file's real
    path is its directory's and its name unless it is a symlink (then None): no system call
    per file."""
    real = os.path.realpath(top)
    if real in seen_dirs:
        logger.info("%s: already walked (%s), not walked again", top, real)
        return
    seen_dirs.add(real)
    try:
        with os.scandir(top) as entries:
            entries = sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        yield top, f"{top}: directory cannot be read ({_reason(exc)})", None
        return
    subdirs = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            subdirs.append(entry.path)
        elif Path(entry.name).suffix.lower() in KNOWN_SUFFIXES:
            yield entry.path, None, (None if entry.is_symlink() else os.path.join(real, entry.name))
    for sub in subdirs:
        yield from _walk(sub, seen_dirs)


def match_glob(pattern: str) -> list[str]:
    """Paths matching a glob pattern, sorted.

    Unlike ``glob.glob(recursive=True)``, ``**`` never follows a symlink to a
    directory, so a link loop cannot make it run away.

    Parameters
    ----------
    pattern : str
        A relative or absolute pattern with ``*``, ``?``, ``[...]`` or ``**``.

    Returns
    -------
    list of str
        The matches (files and directories); empty if none or the pattern is invalid.
    """
    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:first]) if first else Path(".")
    rest = "/".join(parts[first:])
    try:
        return sorted(str(p) for p in base.glob(rest))
    except (OSError, ValueError):
        return []


def _expand_real(paths: Iterable[str]) -> Iterator[tuple[str, str | None, str | None]]:
    """(path, None, real path) for the files named, found below directories, or matched
    by glob patterns, each file once; (path, message, None) for a directory that cannot be
    read; ("-", None, None) for standard input."""
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()

    def once(path: str, real: str | None = None) -> str | None:
        """The file's real path, or None when it was named before."""
        real = real or os.path.realpath(path)
        if real in seen_files:
            logger.info("%s: named before (%s), tagged once", path, real)
            return None
        seen_files.add(real)
        return real

    def named(path: str) -> Iterator[tuple[str, str | None, str | None]]:
        if os.path.isdir(path):
            for found, problem, real in _walk(path, seen_dirs):
                if problem:
                    yield found, problem, None
                elif real := once(found, real):
                    yield found, None, real
        elif real := once(path):
            yield path, None, real  # a missing file becomes an error record downstream

    for raw in paths:
        if raw == "-":
            yield raw, None, None
        elif os.path.lexists(raw) or not glob.has_magic(raw):
            yield from named(raw)
        else:
            matches = match_glob(raw)
            if not matches:
                yield from named(raw)
            for match in matches:
                yield from named(match)


def _display_path(path: str) -> str:
    """A file's path as ids show it: ``./data/a.txt``, ``data//a.txt`` and
    ``data/../data/a.txt`` are ``data/a.txt``; but a path whose ``..`` steps back over a
    symlink stays as given: past the link, ``link/../a.txt`` is not ``a.txt``, and the
    shortened path would name, and open, another file."""
    norm = os.path.normpath(path)
    if ".." not in path.replace("\\", "/").split("/"):
        return norm
    return norm if os.path.realpath(norm) == os.path.realpath(path) else path


def _input_key(path: str) -> str:
    return path if path == "-" else os.path.realpath(path)


def _newline_lines(lines: Iterable[str]) -> Iterator[str]:
    """Lines ended by ``\\n`` only (a lone ``\\r`` inside a record does not end it)."""
    pending = ""
    for piece in lines:
        pending += piece
        if pending.endswith("\n"):
            yield pending
            pending = ""
    if pending:
        yield pending


def _records_from_jsonl(lines: Iterable[str], source: str, key: str, text_field: str,
                        id_field: str | None, first_line: int = 1) -> Iterator[Task]:
    for line_no, line in enumerate(lines, first_line):
        if not line.strip():
            continue
        default_id = f"{source}:{line_no}"
        line_key = f"{key}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Task(default_id, "error", data=f"line {line_no} is not valid JSON ({exc.msg})",
                       key=line_key)
            continue
        yield _record_task(record, default_id, text_field, id_field, f"line {line_no}", line_key)


def _record_task(record, default_id: str, text_field: str, id_field: str | None,
                 where: str, key: str) -> Task:
    if not isinstance(record, dict):
        return Task(default_id, "error", data=f"{where} is not an object", key=key)
    article_id = default_id
    if id_field:
        if record.get(id_field) in (None, ""):
            return Task(default_id, "error", data=f"{where} has no id field {id_field!r}", key=key)
        article_id = str(record[id_field])
    elif isinstance(record.get("id"), (str, int)) and record["id"] != "":
        article_id = str(record["id"])  # a record's own id, when --id-field names none
    text = record.get(text_field)
    if not isinstance(text, str):
        found = ", ".join(map(repr, list(record)[:8]))
        return Task(article_id, "error",
                    data=f"{where} has no text field {text_field!r} (fields: {found})", key=key)
    return Task(article_id, "record", data=text, key=key)


def _records_from_csv(handle, source: str, key: str, delimiter: str, text_field: str,
                      id_field: str | None) -> Iterator[Task]:
    # strict: an unbalanced quote is an error, not rows silently merged into one field
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    name = "CSV" if delimiter == "," else "TSV"
    try:
        fields = next(reader)
        while fields == []:
            fields = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield Task(source, "error", data=f"{source}: malformed {name} header ({exc})", key=key)
        return
    if text_field not in fields:
        yield Task(source, "error", data=f"no column {text_field!r} (columns: "
                                         f"{', '.join(fields)})", key=key)
        return
    row_no = 1
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield Task(f"{source}:{row_no}", "error", key=f"{key}:{row_no}",
                       data=f"row {row_no} (lines {first_line}-{reader.line_num}) is malformed "
                            f"{name} ({exc}): an unbalanced quote? Those lines were not tagged")
            continue
        if row == []:
            continue
        row_no += 1
        yield _record_task(dict(zip(fields, row)), f"{source}:{row_no}", text_field, id_field,
                           f"row {row_no}", f"{key}:{row_no}")


def iter_tasks(paths: Iterable[str], *, text_field: str = "text", id_field: str | None = None,
               stdin=None) -> Iterator[Task]:
    """Every input record named by ``paths``, as tasks, in order; never raises for a bad
    input: an input that cannot be read becomes an ``error`` task.

    Parameters
    ----------
    paths : iterable of str
        Files, directories (searched recursively, each directory once even through
        symlinks), glob patterns, or ``-`` for ``stdin``.
    text_field, id_field : str
        Field names of the records of .jsonl/.csv/.tsv files. Without ``id_field``, a
        record's id is its own ``id`` field when it has one, else ``FILE:LINE``. A
        file's path, in ids, is normalised (``./data/a.txt`` is ``data/a.txt``).
    stdin : file object, optional
        What ``-`` reads (default: ``sys.stdin``).

    Returns
    -------
    iterator of Task
        Each with a key unique within the run.
    """
    for path, problem, real in _expand_real(paths):
        if path != "-":
            path = _display_path(path)
        if problem:
            yield Task(path, "error", data=problem, key=_input_key(path))
            continue
        if path == "-":
            yield from _stdin_tasks(stdin, text_field, id_field)
            continue
        kind = _kind_of(path)
        key = real or _input_key(path)  # the real path found while expanding
        if not os.path.isfile(path):
            yield Task(path, "error", data=f"{path}: no such file", key=key)
            continue
        if kind in ("text", "html"):
            yield Task(path, kind, path=path, key=key)
            continue
        yield from _records_of_file(path, key, kind, text_field, id_field)


def _stdin_tasks(stdin, text_field: str, id_field: str | None) -> Iterator[Task]:
    stream = stdin if stdin is not None else sys.stdin
    # Read bytes where there are any, so GB18030 or Big5 on a pipe decodes too.
    data = getattr(stream, "buffer", stream).read()
    if isinstance(data, bytes):
        try:
            from renovml.text.encoding import decode_bytes

            data = decode_bytes(data, name="<stdin>")
        except InputError as exc:
            yield Task("-", "error", data=str(exc), key="-")
            return
    if data.lstrip().startswith("{"):
        # "\n" only: str.splitlines would also split at U+2028 and U+0085 inside a record
        lines = [line + "\n" for line in data.split("\n")]
        yield from _records_from_jsonl(lines, "-", "-", text_field, id_field)
    else:
        yield Task("-", "record", data=data, key="-")


def _records_of_file(path: str, key: str, kind: str, text_field: str, id_field: str | None):
    """The records of a .jsonl/.csv/.tsv file, read line by line; a file that stops
    decoding part-way yields an error task for the rest of it."""
    from renovml.text.encoding import open_text

    try:
        handle = open_text(path)
    except InputError as exc:
        yield Task(path, "error", data=str(exc), key=key)
        return
    with handle:
        try:
            if kind == "jsonl":
                yield from _records_from_jsonl(_newline_lines(handle), path, key, text_field,
                                               id_field)
            else:
                yield from _records_from_csv(handle, path, key, "," if kind == "csv" else "\t",
                                             text_field, id_field)
        except UnicodeDecodeError as exc:
            yield Task(f"{path}:rest", "error", key=f"{key}:rest",
                       data=f"{path}: stops decoding as {handle.encoding} part-way "
                            f"({exc.reason}); the records after that point were not read")
        except OSError as exc:
            yield Task(f"{path}:rest", "error", key=f"{key}:rest",
                       data=f"{path}: reading failed part-way ({_reason(exc)}); the records "
                            "after that point were not read")


# --- the work done for each task, in a worker process -------------------------

_worker_state: dict = {}
# The parent's loaded model while its pool runs: a worker forked from it (the start method
# on Linux) takes the model as it is, tables built, instead of loading the file again.
_inherited: dict = {}


@dataclass(frozen=True)
class Spool:
    """Where a worker left the records of a huge article: a JSONL file, one record a
    line, that :meth:`records` reads back and deletes."""

    path: str
    n_records: int

    def records(self) -> Iterator[dict]:
        """The spooled records, in order; the file is deleted once they are read."""
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
        os.unlink(self.path)


def init_worker(model_path: str | None, trusted: bool, unit: str, thresholds: dict,
                explain: int, backend: str = "jieba", model=None, spool_dir: str | None = None
                ) -> None:
    """Load the model (unless given) and the word segmenter once per process."""
    import renovml
    from renovml.model import tokens as _tokens

    _tokens.set_backend(backend)
    if model is None:
        model = renovml.load(model_path, trusted=trusted)
    _worker_state.update(model=model, unit=unit, thresholds=thresholds, explain=explain,
                         spool_dir=spool_dir)
    if model.segments_words:  # build the segmenter now, not inside the first article
        _tokens.tokenize("老旧小区")


def _exit_when_orphaned(parent_pid: int, interval: float = 0.5) -> None:
    """Watch the parent; end this process as soon as it is gone (even after kill -9)."""
    import time

    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(interval)


def _init_pool_worker(parent_pid: int, spool_dir: str, *init_args) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what to do; and
    # SIGTERM ends a worker, whatever handler the parent had when it forked this one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:  # the kernel kills this worker when its parent dies
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True,
                     name="renovml-orphan-watch").start()
    inherited = _inherited.get("model")  # only set in a worker forked from the parent
    model = inherited[2] if inherited and inherited[:2] == tuple(init_args[:2]) else None
    init_worker(*init_args, spool_dir=spool_dir, model=model)


def _clean_in_blocks(lines: Iterable[str], article_id: str):
    """An Article cleaned a block of lines at a time, so the memory cleaning takes depends
    on the block, not on the article. Each block goes through the cleaning steps; a
    line printed in an earlier block is dropped as :func:`drop_duplicate_paragraphs`
    would, and the metadata found in every block is kept (first value wins)."""
    from renovml.text.cleaning import CLEAN_STEPS, extract_metadata, remove_metadata_header
    from renovml.text.sections import Article

    metadata: dict[str, str] = {}
    seen: set[int] = set()  # hashes, not lines: the lines of a huge article are many
    parts: list[str] = []

    def clean_block(text: str) -> None:
        for step in CLEAN_STEPS:
            if step is remove_metadata_header:
                text, found = extract_metadata(text)
                for key, value in found.items():
                    metadata.setdefault(key, value)
            else:
                text = step(text)
        kept = []
        for line in text.split("\n"):
            key = line.strip()
            if len(key) >= 4:
                if hash(key) in seen:
                    continue
                seen.add(hash(key))
            if key:
                kept.append(line)
        if kept:
            parts.append("\n".join(kept))

    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= BLOCK_CHARS:
            clean_block("".join(block))
            block, size = [], 0
    if block:
        clean_block("".join(block))
    return Article(text="\n".join(parts), metadata=metadata, id=article_id)


def _large_article_of(task: Task):
    """A huge .txt file or record, read and cleaned a block at a time; None if the task's
    article is not huge."""
    if task.kind == "record" and len(task.data) > LARGE_ARTICLE_CHARS:
        return _clean_in_blocks(io.StringIO(task.data, newline="\n"), task.article_id)
    if task.kind != "text" or not task.path:
        return None
    try:
        if os.path.getsize(task.path) <= LARGE_ARTICLE_CHARS:
            return None
    except OSError:
        return None  # read_text reports it
    from renovml.text.encoding import open_text

    with open_text(task.path) as handle:
        try:
            return _clean_in_blocks(handle, task.article_id)
        except UnicodeDecodeError as exc:
            raise InputError(f"{task.path}: stops decoding as {handle.encoding} part-way "
                             f"({exc.reason}); expected one encoding throughout") from None


def _article_of(task: Task):
    from renovml.text.encoding import read_text
    from renovml.text.markup import extract_main_text
    from renovml.text.sections import Article

    if task.kind == "error":
        raise InputError(task.data)
    large = _large_article_of(task)
    if large is not None:
        if not large.text.strip():
            raise InputError(f"{task.article_id}: no body text after cleaning")
        return large
    if task.kind == "record":
        raw = task.data
    else:
        raw = read_text(task.path) if task.path else read_text(task.data)
        if task.kind == "html":
            raw = extract_main_text(raw)
    if not raw.strip():
        raise InputError(f"{task.article_id}: empty article, expected text")
    article = Article.from_text(raw, id=task.article_id)
    if not article.text.strip():
        raise InputError(f"{task.article_id}: no body text after cleaning")
    return article


def _error(task: Task, exc: Exception) -> list[dict]:
    if not isinstance(exc, InputError):
        logger.error("unexpected error on %s: %r", task.article_id, exc)
        return [{"article_id": task.article_id, "error": f"{type(exc).__name__}: {exc}"}]
    return [{"article_id": task.article_id, "error": str(exc)}]


def _records_of(article_id: str, section_themes) -> list[dict]:
    state = _worker_state
    records = []
    for st in section_themes:
        record = {"article_id": article_id, **st.as_record()}
        if state["explain"]:
            record["explain"] = {
                t: [[term, w] for term, w in terms]
                for t, terms in state["model"].explain(st.section.text,
                                                       top=state["explain"]).items()}
        records.append(record)
    return records


def _tag_large(task: Task, article) -> Spool:
    """Tag a huge article a chunk of paragraphs at a time, spooling its records to disk."""
    state = _worker_state
    spool_dir = state.get("spool_dir")
    if spool_dir:
        os.makedirs(spool_dir, mode=0o700, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="article-", suffix=".jsonl", dir=spool_dir)
    n = 0
    try:
        with open(fd, "w", encoding="utf-8") as handle:
            for chunk in state["model"].tag_chunks(article, unit=state["unit"],
                                                   thresholds=state["thresholds"],
                                                   chunk_paragraphs=CHUNK_PARAGRAPHS):
                for record in _records_of(task.article_id, chunk):
                    # ASCII JSON: a lone surrogate in an id cannot break the spool
                    handle.write(json.dumps(record) + "\n")
                    n += 1
    except BaseException:
        os.unlink(path)
        raise
    return Spool(path, n)


def tag_tasks(tasks: list[Task], render: str | None = None) -> list[list[dict] | Spool]:
    """Records for each task, in order: one per section, or a single error record.

    The readable articles of the batch go through the model in one pass; a huge
    article (more than ``LARGE_ARTICLE_CHARS`` of clean text) is tagged in chunks and
    its records come back as a :class:`Spool`. With ``render`` (an output format:
    jsonl, csv or tsv), each list of records comes back written out, as a
    :class:`Rendered`.
    """
    results = _tag_tasks(tasks)
    if render is None:
        return results
    return [r if isinstance(r, Spool) else _render(r, render) for r in results]


def _tag_tasks(tasks: list[Task]) -> list[list[dict] | Spool]:
    state = _worker_state
    results: list[list[dict] | Spool | None] = [None] * len(tasks)
    articles, where = [], []
    for i, task in enumerate(tasks):
        try:
            article = _article_of(task)
            if len(article.text) > LARGE_ARTICLE_CHARS:
                results[i] = _tag_large(task, article)
                continue
            articles.append(article)
            where.append(i)
        except Exception as exc:  # one bad article must not end a run over ten thousand
            results[i] = _error(task, exc)
        finally:
            article = None  # a huge article is freed before the next is read
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
        elif not tagged.sections:
            results[i] = _error(tasks[i], InputError(
                f"{tasks[i].article_id}: no body text after cleaning"))
        else:
            results[i] = _records_of(tasks[i].article_id, tagged.sections)
    return results


# A lone surrogate (a file name that is not UTF-8, an id like "\ud800") has no UTF-8 form.
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``\\udcff`` for each lone surrogate: a JSON escape inside a JSON string, and a
    visible, lossless spelling elsewhere."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


#: The fields of a section record, in the order CSV and TSV output give them.
SECTION_FIELDS = ["article_id", "section_id", "unit", "start", "end", "text", "themes",
                  *[f"score_{t}" for t in THEMES], "explain", "error"]


# json.dumps(x, ensure_ascii=False) builds an encoder per call; one is enough.
_JSON = json.JSONEncoder(ensure_ascii=False)


class Writer:
    """Renders records as JSONL, CSV or TSV text, lone surrogates escaped."""

    def __init__(self, fmt: str, fields: list[str]):
        self.fmt = fmt
        self.buffer = io.StringIO()
        if fmt != "jsonl":
            self.csv = csv.DictWriter(self.buffer, fieldnames=fields, extrasaction="ignore",
                                      delimiter="," if fmt == "csv" else "\t",
                                      lineterminator="\n")

    def header(self) -> str:
        if self.fmt != "jsonl":
            self.csv.writeheader()
        return self.take()

    def add(self, record: dict) -> None:
        if self.fmt == "jsonl":
            self.buffer.write(_JSON.encode(record) + "\n")
            return
        row = dict(record)
        if "themes" in row:
            row["themes"] = ";".join(row["themes"])
        if "dominant_themes" in row:
            row["dominant_themes"] = ";".join(row["dominant_themes"])
        if "explain" in row:
            row["explain"] = json.dumps(row["explain"], ensure_ascii=False)
        self.csv.writerow(row)

    def size(self) -> int:
        return self.buffer.tell()

    def take(self) -> str:
        text = escape_surrogates(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


@dataclass
class Rendered:
    """One input's records written out already (by the worker that tagged it, so the
    process that writes the output only copies text): ``n`` records, and the error of
    an input that failed."""

    text: str
    n: int
    error: str | None = None


def _render(records: list[dict], fmt: str) -> Rendered:
    """``records`` as the lines of a ``fmt`` output (no header)."""
    writer = Writer(fmt, SECTION_FIELDS)
    for record in records:
        writer.add(record)
    error = records[0].get("error") if len(records) == 1 else None
    return Rendered(writer.take(), len(records), error)


def summary_of(article_id: str, records: list[dict]) -> dict:
    """One input's summary, as ``renovml predict --summary`` writes it: the share of its
    sections per theme and the themes of at least a quarter of them, or its error."""
    if len(records) == 1 and "error" in records[0]:
        return {"article_id": article_id, "n_sections": 0, "error": records[0]["error"]}
    themes = [r["themes"] if isinstance(r["themes"], list) else
              [t for t in r["themes"].split(";") if t] for r in records]  # CSV joins them
    shares = {t: round(sum(t in th for th in themes) / len(records), 4) for t in THEMES}
    return {"article_id": article_id, "n_sections": len(records),
            **{f"share_{t}": v for t, v in shares.items()},
            "dominant_themes": [t for t, v in sorted(shares.items(), key=lambda kv: -kv[1])
                                if v >= 0.25]}


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
              batch_size: int = 16,
              render: str | None = None) -> Iterator[tuple[Task, list[dict] | Spool]]:
    """Tag tasks in order, in ``jobs`` worker processes (in this process when ``jobs == 1``,
    reusing ``model`` if it is loaded already).

    Parameters
    ----------
    tasks : iterable of Task
    jobs : int
    init_args : tuple
        The arguments of :func:`init_worker`: model path, trusted, unit, thresholds,
        explain, tokenizer backend.
    model : ThemeModel, optional
        The model ``init_args`` name, loaded already: used in this process, and by workers
        forked from it.
    batch_size : int
        Articles that go to the model together.
    render : str, optional
        An output format (jsonl, csv, tsv): the workers write the records out, and each
        comes back as a :class:`Rendered` (a huge article's still as a :class:`Spool`).

    Returns
    -------
    iterator of (Task, records)
        Every task exactly once, in order, with its records: a list of dicts (one per
        section, or a single error record), a :class:`Rendered`, or a :class:`Spool` for
        a huge article.

    Notes
    -----
    At most ``4 * jobs`` batches are in flight, so memory does not grow with the
    input. Workers ignore SIGINT, and end when this process ends (kill -9 included);
    if the caller stops early (an exception, a signal), the workers are terminated.
    """
    # Made by the first huge article only, so a run killed with kill -9 leaves nothing.
    spool_dir = os.path.join(tempfile.gettempdir(),
                             f"renovml-spool-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        if jobs <= 1:
            init_worker(*init_args, model=model, spool_dir=spool_dir)
            for batch in _batches(tasks, batch_size):
                yield from zip(batch, tag_tasks(batch, render))
            return
        yield from _run_in_pool(tasks, jobs, init_args, batch_size, spool_dir, render, model)
    finally:
        import shutil

        shutil.rmtree(spool_dir, ignore_errors=True)


def _run_in_pool(tasks, jobs, init_args, batch_size, spool_dir, render=None, model=None):
    import multiprocessing

    window = 4 * jobs
    if model is not None and multiprocessing.get_start_method() == "fork":
        model.warm_up()  # tables built once here, before the workers fork, not in each
        _inherited["model"] = (init_args[0], init_args[1], model)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_pool_worker,
                               initargs=(os.getpid(), spool_dir, *init_args))
    finished = False
    try:
        pending: deque = deque()
        for batch in _batches(tasks, batch_size):
            pending.append((batch, pool.submit(tag_tasks, batch, render)))
            if len(pending) >= window:
                batch, future = pending.popleft()
                yield from zip(batch, future.result())
        while pending:
            batch, future = pending.popleft()
            yield from zip(batch, future.result())
        finished = True
    finally:
        _inherited.clear()
        if finished:
            pool.shutdown(wait=True)
        else:  # stopped early: do not wait for work nobody will read
            workers = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.join(5)
