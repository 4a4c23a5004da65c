"""Batch prediction past one machine: renovml on Dask.

The chain of this room::

    paths -> partitions (plan: files grouped, big JSONL files cut at line breaks)
          -> tasks on a worker (renovml.batch's readers) -> records (renovml.batch.tag_tasks)
          -> a Dask Bag or DataFrame, or OUT/part-00000.jsonl ... with OUT/manifest.jsonl

Every record is made by :func:`renovml.batch.tag_tasks`, as ``renovml predict`` makes
it, so the records are the in-process path's, in input order within each partition, and
the partitions concatenated in order are ``renovml predict``'s output. A worker loads
the model once per process, by path and SHA-256 (the model never travels in the task
graph), and builds its word segmenter on first use.

>>> from dask.distributed import Client, LocalCluster                # doctest: +SKIP
>>> from renovml import dask as rdask                                 # doctest: +SKIP
>>> with LocalCluster(n_workers=4, threads_per_worker=1) as cluster, Client(cluster):
...     sections = rdask.tag_bag(rdask.read_articles(["reports/"]))  # doctest: +SKIP
...     sections.take(3)                                              # doctest: +SKIP

Dask itself is imported only by the functions that build bags and data frames, so the
worker half (:func:`tag_partition`, :func:`section_frame`) serves :mod:`renovml.spark`
too, without dask installed.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from renovml.batch import (
    Spool,
    Task,
    _batches,
    _display_path,
    _expand_real,
    _input_key,
    _kind_of,
    _record_task,
    _records_from_jsonl,
    _records_of_file,
    escape_surrogates,
    init_worker,
    summary_of,
    tag_tasks,
)
from renovml.errors import DependencyError, InputError, RenovmlError
from renovml.model.artifact import _sha256
from renovml.themes import THEMES

__all__ = [
    "DEFAULT_BLOCKSIZE",
    "FRAME_COLUMNS",
    "Model",
    "Span",
    "WORKER_CONFIG",
    "local_cluster",
    "plan_partitions",
    "predict_partitioned",
    "read_articles",
    "read_partitioned",
    "read_summaries",
    "section_frame",
    "summarize",
    "summary_of",
    "tag_bag",
    "tag_dataframe",
    "tag_partition",
]

logger = logging.getLogger(__name__)

#: Bytes of input per partition: some seconds of work for one core, so the scheduler's
#: per-task cost (milliseconds) stays small beside it.
DEFAULT_BLOCKSIZE = 8 << 20
BATCH_SIZE = 16  # articles that go to the model together, as in renovml.batch
MANIFEST_NAME = "manifest.jsonl"
MANIFEST_VERSION = 1
_OWN_FILE = re.compile(r"(part|summary)-\d{5}\.(jsonl|parquet)(\.[0-9a-f]{32}\.tmp)?|"
                       + re.escape(MANIFEST_NAME) + r"(\.tmp)?")
#: Dask configuration for renovml's workers, set where the workers start: glibc's own
#: memory trimming. Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker,
#: which makes renovml's many small allocations some 20% slower; a renovml worker's
#: memory stays flat at about 100 MB without it.
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

#: The columns of a data frame of section records: the CLI's CSV columns.
FRAME_COLUMNS = ["article_id", "section_id", "unit", "start", "end", "text", "themes",
                 *[f"score_{t}" for t in THEMES], "explain", "error"]
_FRAME_DTYPES = {"article_id": "object", "section_id": "object", "unit": "object",
                 "start": "Int64", "end": "Int64", "text": "object", "themes": "object",
                 **{f"score_{t}": "float64" for t in THEMES}, "explain": "object",
                 "error": "object"}


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise DependencyError(f"renovml.dask needs {module.split('.')[0]}: "
                              "pip install 'renovml[dask]'") from None


# --- the model, named rather than shipped ------------------------------------------

@dataclass(frozen=True)
class Model:
    """How a worker finds the model: its path (None: the shipped model), its SHA-256 as
    the client saw it, and whether the client vouched for the file (``trusted``)."""

    path: str | None
    sha256: str
    trusted: bool = False

    @classmethod
    def of(cls, path: str | os.PathLike | None = None, *, trusted: bool = False) -> Model:
        """Name a model file for the workers, hashing it here.

        Raises
        ------
        ArtifactError
            If there is no model file at ``path``.
        """
        from renovml.model.artifact import ARTIFACT_NAME, shipped_model_path

        where = shipped_model_path() if path is None else Path(path)
        if where.is_dir():
            where = where / ARTIFACT_NAME
        if not where.is_file():
            from renovml.errors import ArtifactError

            raise ArtifactError(f"{where}: no model artifact there; expected a .joblib file")
        return cls(None if path is None else os.path.abspath(where), _sha256(where), trusted)


_models: dict[Model, object] = {}  # per worker process: loaded once, reused by every task
_configured: list = [None]
_lock = threading.Lock()  # renovml.batch keeps one configuration per process


def _load_on_worker(model: Model):
    """The model, loaded once per process; refuses a file whose SHA-256 differs from the
    client's (another version of it on this node)."""
    loaded = _models.get(model)
    if loaded is None:
        import renovml
        from renovml.errors import ArtifactError
        from renovml.model.artifact import shipped_model_path

        where = Path(model.path) if model.path else shipped_model_path()
        actual = _sha256(where) if where.is_file() else "missing"
        if actual != model.sha256:
            raise ArtifactError(f"{where} on this worker has SHA-256 {actual}, the client's "
                                f"model {model.sha256}; install the same model on every node")
        loaded = _models[model] = renovml.load(model.path, trusted=model.trusted)
    return loaded


@dataclass(frozen=True)
class _Config:
    model: Model
    unit: str = "paragraph"
    thresholds: tuple = ()
    explain: int = 0
    tokenizer: str = "auto"


def _config(model, unit, thresholds, explain, tokenizer) -> _Config:
    from renovml.text import UNITS

    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if model is None or isinstance(model, (str, os.PathLike)):
        model = Model.of(model, trusted=model is not None)
    elif not isinstance(model, Model):
        raise TypeError(f"model must be a path, a renovml.dask.Model or None, got "
                        f"{type(model).__name__}: workers load the model by path")
    unknown = set(thresholds or {}) - set(THEMES)
    if unknown:
        raise ValueError(f"thresholds name unknown themes {sorted(unknown)}; expected {THEMES}")
    return _Config(model, unit, tuple(sorted((thresholds or {}).items())), explain, tokenizer)


def _configure(config: _Config) -> None:
    """Point renovml.batch's worker state at ``config`` (the model cached per process)."""
    if _configured[0] != config:
        _configured[0] = None
        model = _load_on_worker(config.model)
        init_worker(config.model.path, config.model.trusted, config.unit,
                    dict(config.thresholds), config.explain, config.tokenizer, model=model,
                    spool_dir=os.path.join(tempfile.gettempdir(), f"renovml-spool-{os.getpid()}"))
        _configured[0] = config


# --- partitions: planned on the client, read on the workers -------------------------

@dataclass(frozen=True)
class Span:
    """The records of a .jsonl/.csv/.tsv file, read on the worker: the whole file
    (``end is None``), or the lines in bytes ``[start, end)`` of a UTF-8 JSONL file, the
    first of them line ``first_line``."""

    path: str
    key: str
    kind: str
    start: int = 0
    end: int | None = None
    first_line: int = 1


def _utf8_line_cuts(path: str, blocksize: int) -> list[tuple[int, int, int]] | None:
    """``(start, end, first_line)`` pieces of at least ``blocksize`` bytes each (but the
    last), each ending just after a line break, if the file is UTF-8 throughout without a
    byte-order mark; None otherwise (the file then stays one piece)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    cuts, start, first_line, lines, offset = [], 0, 1, 0, 0
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                if offset == 0 and block.startswith(codecs.BOM_UTF8):
                    return None  # open_text may read the mark as part of the first line
                decoder.decode(block)
                cursor = 0
                while True:
                    # the earliest line break that closes a piece of blocksize bytes
                    nl = block.find(b"\n", max(start + blocksize - 1 - offset, cursor))
                    if nl < 0:
                        lines += block.count(b"\n", cursor)
                        break
                    lines += block.count(b"\n", cursor, nl + 1)
                    cuts.append((start, offset + nl + 1, first_line))
                    start, first_line, lines, cursor = offset + nl + 1, first_line + lines, 0, nl + 1
                offset += len(block)
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return None
    if start < offset:
        cuts.append((start, offset, first_line))
    return cuts


def plan_partitions(paths: Iterable[str], *, blocksize: int = DEFAULT_BLOCKSIZE
                    ) -> list[list[Task | Span]]:
    """Every input ``renovml predict`` reads, as partitions of about ``blocksize`` bytes.

    Files are listed as :func:`renovml.batch.iter_tasks` lists them (directories
    recursively, globs, each file once), in the same order; .txt and .html files are
    named, not read; a UTF-8 JSONL file bigger than ``blocksize`` is cut at line breaks;
    a CSV/TSV file is one piece, however big. An input that cannot be read is an error
    task. Concatenating the partitions' tasks in order gives ``iter_tasks``'s tasks.

    Raises
    ------
    InputError
        For ``-``: standard input cannot be read on a cluster.
    """
    if blocksize < 1:
        raise ValueError(f"blocksize must be a positive number of bytes, got {blocksize}")
    partitions: list[list[Task | Span]] = []
    current: list[Task | Span] = []
    size = 0

    def add(item, nbytes):
        nonlocal current, size
        current.append(item)
        size += nbytes
        if size >= blocksize:
            partitions.append(current)
            current, size = [], 0

    for path, problem, real in _expand_real(paths):
        if path == "-":
            raise InputError("'-' (standard input) cannot be read on a cluster; "
                             "expected files, directories or glob patterns")
        path = _display_path(path)
        key = real or _input_key(path)  # the real path found while expanding
        if problem:
            add(Task(path, "error", data=problem, key=key), 0)
            continue
        if not os.path.isfile(path):
            add(Task(path, "error", data=f"{path}: no such file", key=key), 0)
            continue
        kind = _kind_of(path)
        nbytes = os.path.getsize(path)
        if kind in ("text", "html"):
            add(Task(path, kind, path=path, key=key), nbytes)
            continue
        cuts = _utf8_line_cuts(path, blocksize) if kind == "jsonl" and nbytes > blocksize else None
        if not cuts:
            add(Span(path, key, kind), nbytes)
            continue
        for start, end, first_line in cuts:
            add(Span(path, key, kind, start, end, first_line), end - start)
    if current:
        partitions.append(current)
    return partitions


def _jsonl_range(span: Span, text_field: str, id_field: str | None) -> Iterator[Task]:
    """The tasks of lines ``[start, end)`` of a UTF-8 JSONL file, numbered from
    ``first_line``, as :func:`renovml.batch.iter_tasks` makes them."""
    with open(span.path, "rb") as handle:
        handle.seek(span.start)
        data = handle.read(span.end - span.start).decode("utf-8")
    yield from _records_from_jsonl(data.split("\n"), span.path, span.key, text_field, id_field,
                                   span.first_line)


def _tasks_of(items: Iterable[Task | Span], text_field: str, id_field: str | None
              ) -> Iterator[Task]:
    for item in items:
        if isinstance(item, Task):
            yield item
        elif item.end is None:
            yield from _records_of_file(item.path, item.key, item.kind, text_field, id_field)
        else:
            yield from _jsonl_range(item, text_field, id_field)


def _task_of_element(element, position: int) -> Task:
    """A bag element as a task: a Task, or a record ``{"id": ..., "text": ...}``."""
    if isinstance(element, Task):
        return element
    where = f"element {position}"
    if not isinstance(element, dict) or element.get("id") in (None, ""):
        return Task(f"<{where}>", "error", key=f"<{where}>",
                    data=f"{where} is not a Task or a record with an 'id' and a 'text'")
    return _record_task(element, str(element["id"]), "text", "id", where, str(element["id"]))


# --- the worker half ------------------------------------------------------------------

def _tagged(tasks: Iterable[Task], config: _Config) -> Iterator[tuple[Task, Iterable[dict]]]:
    """(task, records) for every task, in order: renovml.batch's records, once each."""
    with _lock:
        _configure(config)
        for batch in _batches(tasks, BATCH_SIZE):
            for task, result in zip(batch, tag_tasks(batch)):
                yield task, (result.records() if isinstance(result, Spool) else result)


def tag_partition(tasks: Iterable[Task], *, model: Model, unit: str = "paragraph",
                  thresholds: dict | None = None, explain: int = 0,
                  tokenizer: str = "auto") -> list[list[dict]]:
    """Tag tasks in this process, the model loaded once per process: for each task, its
    records (one per section, or one error record), in order.

    Raises
    ------
    ArtifactError
        If the model file here differs from ``model.sha256``.
    """
    config = _config(model, unit, thresholds, explain, tokenizer)
    return [list(records) for _, records in _tagged(tasks, config)]


def section_frame(records: Iterable[dict]):
    """Section records as a pandas DataFrame with :data:`FRAME_COLUMNS`, the CLI's CSV
    columns: themes joined by ``;``, explanations as JSON, and object (not Arrow string)
    columns for text, so Arrow and Spark see plain strings."""
    import pandas as pd

    rows = []
    for record in records:
        row = {c: record.get(c) for c in FRAME_COLUMNS}
        if row["themes"] is not None:
            row["themes"] = ";".join(row["themes"])
        if row["explain"] is not None:
            row["explain"] = json.dumps(row["explain"], ensure_ascii=False)
        rows.append(row)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype="object")
                          for c in FRAME_COLUMNS})
    return frame.astype(_FRAME_DTYPES)


# --- Dask collections ------------------------------------------------------------------

def read_articles(paths: str | Iterable[str], *, text_field: str = "text",
                  id_field: str | None = None, blocksize: int = DEFAULT_BLOCKSIZE):
    """Every input record ``renovml predict`` reads, as a Dask Bag of
    :class:`renovml.batch.Task`: files, directories, globs, records of .jsonl/.csv/.tsv
    files; an input that cannot be read is an ``error`` task, which tags as an error
    record. Text files are read on the workers, not here.

    Parameters
    ----------
    paths : str or iterable of str
    text_field, id_field : str
        Field names of the records of .jsonl/.csv/.tsv files, as ``renovml predict``.
    blocksize : int
        Bytes of input per partition.

    Returns
    -------
    dask.bag.Bag
    """
    bag = _need("dask.bag")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    plan = plan_partitions([str(p) for p in paths], blocksize=blocksize)
    if not plan:
        return bag.from_sequence([], npartitions=1)
    return bag.from_sequence(plan, npartitions=len(plan)).map_partitions(
        _read_partition, text_field, id_field)


def _read_partition(plans: list, text_field: str, id_field: str | None) -> list[Task]:
    return [task for items in plans for task in _tasks_of(items, text_field, id_field)]


def _tag_elements(elements, config: _Config) -> list[list[dict]]:
    tasks = [_task_of_element(e, i) for i, e in enumerate(elements)]
    return [list(records) for _, records in _tagged(tasks, config)]


def _per_input(bag, model, unit, thresholds, explain, tokenizer):
    config = _config(model, unit, thresholds, explain, tokenizer)
    return bag.map_partitions(_tag_elements, config)


def tag_bag(bag, *, model=None, unit: str = "paragraph", thresholds: dict | None = None,
            explain: int = 0, tokenizer: str = "auto"):
    """Tag a Bag of tasks (from :func:`read_articles`) or of records ``{"id", "text"}``.

    Parameters
    ----------
    bag : dask.bag.Bag
    model : path or Model, optional
        The model file the workers load, by path, checked by SHA-256 (default: the
        shipped model; another file is trusted as ``renovml predict --model`` trusts it).
    unit, thresholds, explain, tokenizer
        As for ``renovml predict``.

    Returns
    -------
    dask.bag.Bag
        Section records, each input's in order, exactly the records ``renovml predict``
        writes (one error record for an input that fails).
    """
    return _per_input(bag, model, unit, thresholds, explain, tokenizer).flatten()


def _summaries(per_input: list[list[dict]]) -> list[dict]:
    return [summary_of(records[0]["article_id"], records) for records in per_input]


def _corpus_counts(summaries) -> dict:
    counts = {"articles": 0, "failed": 0, "sections": 0, **{t: 0.0 for t in THEMES}}
    for s in summaries:
        if "error" in s:
            counts["failed"] += 1
            continue
        counts["articles"] += 1
        counts["sections"] += s["n_sections"]
        for t in THEMES:
            counts[t] += s[f"share_{t}"] * s["n_sections"]
    return counts


def _add_counts(a: dict, b: dict) -> dict:
    return {k: a[k] + b[k] for k in a}


def _corpus_shares(counts: dict) -> dict:
    n = counts["sections"]
    return {"articles": counts["articles"], "failed": counts["failed"], "sections": n,
            **{f"share_{t}": round(counts[t] / n, 4) if n else 0.0 for t in THEMES}}


def summarize(bag, *, model=None, unit: str = "paragraph", thresholds: dict | None = None,
              tokenizer: str = "auto"):
    """Per-article summaries and the corpus's theme shares of a Bag of tasks or records.

    Returns
    -------
    (dask.bag.Bag, dask.delayed.Delayed)
        The summaries, as ``renovml predict --summary`` writes them, and the corpus
        shares ``{"articles", "failed", "sections", "share_<theme>"}``: per theme, the
        share of all sections tagged with it (articles weighted by their sections).
    """
    summaries = _per_input(bag, model, unit, thresholds, 0, tokenizer).map_partitions(
        _summaries)
    # the aggregate runs at every level of a reduction tree, so it only adds counts
    shares = summaries.reduction(_corpus_counts, _reduce_counts).apply(_corpus_shares)
    return summaries, shares


def _reduce_counts(parts) -> dict:
    total = None
    for part in parts:
        total = part if total is None else _add_counts(total, part)
    return total or _corpus_counts([])


def _frame_tasks(frame, text: str, id: str) -> list[Task]:
    """A pandas frame of articles, one a row, as tasks; a row whose text is not a string
    (a null) is an error task, so it still ends as one record."""
    missing = [c for c in (text, id) if c not in frame.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r}; columns: {', '.join(map(str, frame.columns))}")
    tasks = []
    for article_id, body in zip(frame[id].tolist(), frame[text].tolist()):
        where = f"row {article_id!r}"
        if not isinstance(body, str):
            tasks.append(Task(str(article_id), "error", key=str(article_id),
                              data=f"{where}: no text in column {text!r} (found {body!r})"))
            continue
        tasks.append(_record_task({"id": article_id, "text": body}, str(article_id), "text",
                                  "id", where, str(article_id)))
    return tasks


def _frame_of_partition(frame, text: str, id: str, config: _Config):
    tasks = _frame_tasks(frame, text, id)
    return section_frame(r for _, records in _tagged(tasks, config) for r in records)


def tag_dataframe(ddf, *, text: str = "text", id: str = "id", model=None,
                  unit: str = "paragraph", thresholds: dict | None = None, explain: int = 0,
                  tokenizer: str = "auto"):
    """Tag the ``text`` column of a Dask DataFrame, one article a row.

    Returns
    -------
    dask.dataframe.DataFrame
        One row per section (or per failed article), with :data:`FRAME_COLUMNS`, the
        CLI's CSV columns, and a declared ``meta``.
    """
    _need("dask.dataframe")
    for column in (text, id):
        if column not in ddf.columns:
            raise ValueError(f"no column {column!r}; columns: {', '.join(map(str, ddf.columns))}")
    config = _config(model, unit, thresholds, explain, tokenizer)
    return ddf.map_partitions(_frame_of_partition, text, id, config,
                              meta=section_frame([]))


# --- partitioned output: renovml predict --scheduler --------------------------------------

def _render(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield escape_surrogates(json.dumps(record, ensure_ascii=False)) + "\n"


def _fingerprint(items: list[Task | Span]) -> str:
    return hashlib.sha256(repr(items).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _write_partition(index: int, items: list, out_dir: str, fmt: str, config: _Config,
                     text_field: str, id_field: str | None) -> dict:
    """Tag one partition on a worker and write ``part-NNNNN`` and ``summary-NNNNN`` whole
    or not at all (a temporary name, then a rename): a rerun after a lost worker
    replaces, never appends."""
    started = time.perf_counter()
    names = (f"part-{index:05d}.{fmt}", f"summary-{index:05d}.jsonl")
    tmp = [os.path.join(out_dir, f"{name}.{uuid.uuid4().hex}.tmp") for name in names]
    counts = {"inputs": 0, "records": 0, "failed": 0}
    failures = []
    try:
        rows = [] if fmt == "parquet" else None
        with open(tmp[1], "w", encoding="utf-8") as summaries, \
                open(tmp[0], "w", encoding="utf-8") as out:
            for task, records in _tagged(_tasks_of(items, text_field, id_field), config):
                records = list(records)
                if rows is None:
                    out.writelines(_render(records))
                else:
                    rows.extend(records)
                summary = summary_of(task.article_id, records)
                summaries.writelines(_render([summary]))
                counts["inputs"] += 1
                counts["records"] += len(records)
                if "error" in summary:
                    counts["failed"] += 1
                    if len(failures) < 50:
                        failures.append([task.article_id, summary["error"]])
        if rows is not None:
            section_frame(rows).to_parquet(tmp[0], index=False)
        for path, name in zip(tmp, names):
            os.replace(path, os.path.join(out_dir, name))
    finally:
        for path in tmp:
            if os.path.exists(path):
                os.unlink(path)
    return {"partition": index, "file": names[0], "summary": names[1],
            "fingerprint": _fingerprint(items), **counts,
            "bytes": os.path.getsize(os.path.join(out_dir, names[0])),
            "seconds": round(time.perf_counter() - started, 4), "failures": failures}


def _read_manifest(path: Path) -> tuple[dict | None, dict[int, dict]]:
    header, entries = None, {}
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    with handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # cut off by a kill
            item = json.loads(line)
            if header is None:
                header = item
            else:
                entries[item["partition"]] = item
    return header, entries


def _write_manifest(path: Path, header: dict, entries: Iterable[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for item in (header, *entries):
            handle.write(json.dumps(item) + "\n")
    os.replace(tmp, path)


def _earlier_run(out: Path, settings: dict, resume: bool) -> tuple[dict | None, dict[int, dict]]:
    """The manifest of the run in ``out`` to continue (with ``resume``): its header and
    entries. Raises RenovmlError if ``out`` holds files renovml did not write, or the
    earlier run had other settings."""
    if out.exists() and not out.is_dir():
        raise RenovmlError(f"{out} is a file; expected a directory for partitioned output")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if not _OWN_FILE.fullmatch(p.name))
        if foreign:
            raise RenovmlError(f"{out} holds files renovml did not write "
                               f"({', '.join(foreign[:3])}); expected an empty directory or an "
                               "earlier run's output")
    if not resume:
        return None, {}
    header, entries = _read_manifest(out / MANIFEST_NAME)
    if header is None:
        return None, {}
    changed = [k for k, v in settings.items() if k != "blocksize" and header.get(k) != v]
    if settings["blocksize"] is not None and header.get("blocksize") != settings["blocksize"]:
        changed.append("blocksize")
    if changed:
        raise RenovmlError(f"cannot resume {out}: the earlier run differs in "
                           f"{', '.join(changed)}; run again without --resume")
    return header, entries


def _finished_partitions(out: Path, entries: dict[int, dict], plan: list) -> dict[int, dict]:
    """The earlier run's partitions whose inputs are unchanged and whose files are whole;
    everything else renovml left in ``out`` is removed."""
    done = {}
    for i, entry in entries.items():
        part = out / entry["file"]
        if (i < len(plan) and entry["fingerprint"] == _fingerprint(plan[i])
                and part.is_file() and part.stat().st_size == entry["bytes"]
                and (out / entry["summary"]).is_file()):
            done[i] = entry
    keep = {name for e in done.values() for name in (e["file"], e["summary"])}
    out.mkdir(parents=True, exist_ok=True)
    for path in out.iterdir():
        if path.name not in keep and path.name != MANIFEST_NAME:
            path.unlink()
    return done


def _auto_blocksize(paths: list[str], workers: int) -> int:
    """About sixteen partitions per worker, so the workers finish close together (a
    partition costs some 15 ms); between 256 KiB and DEFAULT_BLOCKSIZE."""
    total = 0
    for path, problem, _ in _expand_real(paths):
        if not problem and path != "-" and os.path.isfile(path):
            total += os.path.getsize(path)
    return int(min(DEFAULT_BLOCKSIZE, max(1 << 18, total / (16 * max(workers, 1)))))


def local_cluster(n_workers: int, **options):
    """A LocalCluster for renovml: ``n_workers`` one-thread worker processes (renovml's
    work holds the GIL, so threads would queue for it), its web server on a free port (a
    second cluster never fights the first for 8787), and :data:`WORKER_CONFIG`.
    ``options`` go to ``distributed.LocalCluster``."""
    distributed = _need("distributed")
    import dask

    settings = {"n_workers": n_workers, "threads_per_worker": 1, "processes": True,
                "dashboard_address": ":0", **options}
    with dask.config.set(WORKER_CONFIG):
        return distributed.LocalCluster(**settings)


def _client(scheduler):
    """(client, cluster or None) for ``local:N``, an address, or a Client."""
    distributed = _need("distributed")
    if isinstance(scheduler, distributed.Client):
        return scheduler, None
    if isinstance(scheduler, str) and scheduler.startswith("local:"):
        try:
            n = int(scheduler.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"expected local:N with N >= 1 workers, got {scheduler!r}")
        cluster = local_cluster(n)
        return distributed.Client(cluster), cluster
    return distributed.Client(scheduler), None


def predict_partitioned(paths: Iterable[str], out_dir: str | os.PathLike, *, scheduler,
                        model: str | os.PathLike | None = None, trusted: bool = False,
                        unit: str = "paragraph", thresholds: dict | None = None,
                        explain: int = 0, tokenizer: str = "auto", text_field: str = "text",
                        id_field: str | None = None, blocksize: int | None = None,
                        fmt: str = "jsonl", resume: bool = False,
                        summary: str | os.PathLike | None = None, on_partition=None) -> dict:
    """``renovml predict --scheduler``: tag inputs on a Dask cluster into ``out_dir``.

    Writes ``out_dir/part-00000.jsonl`` ... (the records of each partition, in input
    order; concatenated in order they are ``renovml predict``'s output), one
    ``summary-NNNNN.jsonl`` per partition, and ``manifest.jsonl``: a header naming the
    run's settings, then one line per finished partition (its file, input fingerprint,
    counts, size and the seconds its worker spent). Workers write the files, so
    ``out_dir`` must be on a file system every worker sees (a shared file system on HPC;
    any directory for a LocalCluster).

    Parameters
    ----------
    paths : iterable of str
        As ``renovml predict`` (no ``-``).
    out_dir : path-like
        A new or empty directory, or an earlier run's output.
    scheduler : str or distributed.Client
        ``local:N`` (:func:`local_cluster` with N workers), a scheduler
        address (``tcp://host:8786``), or a connected Client.
    model, trusted, unit, thresholds, explain, tokenizer, text_field, id_field
        As ``renovml predict``; a ``model`` path is loaded by the workers, never shipped.
    blocksize : int, optional
        Bytes of input per partition (default: about sixteen partitions per worker, at
        most ``DEFAULT_BLOCKSIZE``; with ``resume``, the earlier run's).
    fmt : {"jsonl", "parquet"}
        Parquet needs pyarrow; its columns are :data:`FRAME_COLUMNS`.
    resume : bool
        Keep the partitions an earlier run into ``out_dir`` finished (same inputs, same
        settings); tag the others again.
    summary : path-like, optional
        Also write every input's summary, in input order, to this JSONL file.
    on_partition : callable, optional
        Called with each manifest entry as its partition finishes (a progress bar).

    Returns
    -------
    dict
        ``partitions``, ``skipped_partitions``, ``inputs``, ``tagged``, ``failed``,
        ``sections``, ``failures`` (up to 50 ``[article_id, error]``; counts cover the
        partitions skipped too).

    Raises
    ------
    RenovmlError
        If ``out_dir`` holds other files, or ``resume`` meets another run's settings.
    """
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"fmt must be 'jsonl' or 'parquet', got {fmt!r}")
    paths = [str(p) for p in paths]
    if "-" in paths:  # before a cluster starts
        raise InputError("'-' (standard input) cannot be read on a cluster; "
                         "expected files, directories or glob patterns")
    if fmt == "parquet":
        _need("pyarrow")
    config = _config(Model.of(model, trusted=trusted), unit, thresholds, explain, tokenizer)
    from renovml.model.tokens import set_backend

    set_backend(tokenizer)  # a missing rjieba fails here, before any worker starts
    out = Path(out_dir)
    settings = {"renovml_partitions": MANIFEST_VERSION, "format": fmt, "unit": unit,
                "thresholds": dict(config.thresholds), "explain": explain,
                "model_sha256": config.model.sha256, "text_field": text_field,
                "id_field": id_field, "blocksize": blocksize}
    earlier, earlier_entries = _earlier_run(out, settings, resume)
    if blocksize is None and earlier is not None:
        blocksize = earlier["blocksize"]  # the same partitions as the run it continues
    client, cluster = _client(scheduler)
    try:
        if blocksize is None:
            blocksize = _auto_blocksize(paths, len(client.scheduler_info()["workers"]))
        plan = plan_partitions(paths, blocksize=blocksize)
        header = {**settings, "blocksize": blocksize, "partitions": len(plan)}
        done = _finished_partitions(out, earlier_entries, plan)
        manifest = out / MANIFEST_NAME
        _write_manifest(manifest, header, [done[i] for i in sorted(done)])
        entries = dict(done)
        todo = [i for i in range(len(plan)) if i not in done]
        futures = [client.submit(_write_partition, i, plan[i], str(out.resolve()), fmt, config,
                                 text_field, id_field, key=f"renovml-part-{i:05d}-"
                                 f"{uuid.uuid4().hex[:8]}", pure=False) for i in todo]
        distributed = _need("distributed")
        with open(manifest, "a", encoding="utf-8") as handle:
            for future in distributed.as_completed(futures):
                entry = future.result()
                handle.write(json.dumps(entry) + "\n")
                handle.flush()
                entries[entry["partition"]] = entry
                if on_partition is not None:
                    on_partition(entry)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
        elif client is not scheduler:
            client.close()
    for path in out.iterdir():  # what a worker lost mid-partition left behind
        if path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
    _write_manifest(manifest, {**header, "complete": True}, [entries[i] for i in sorted(entries)])
    if summary is not None:
        tmp = Path(str(summary) + ".part")
        with open(tmp, "w", encoding="utf-8") as target:
            for i in sorted(entries):
                with open(out / entries[i]["summary"], encoding="utf-8") as source:
                    target.writelines(source)
        os.replace(tmp, summary)
    failed = sum(e["failed"] for e in entries.values())
    inputs = sum(e["inputs"] for e in entries.values())
    return {"partitions": len(plan), "skipped_partitions": len(done), "inputs": inputs,
            "tagged": inputs - failed, "failed": failed,
            "sections": sum(e["records"] for e in entries.values()) - failed,
            "failures": [f for i in sorted(entries) for f in entries[i]["failures"]][:50]}


def _finished_run(out_dir) -> tuple[dict, dict[int, dict]]:
    header, entries = _read_manifest(Path(out_dir) / MANIFEST_NAME)
    if header is None or not header.get("complete"):
        raise RenovmlError(f"{out_dir}: not a finished partitioned output; run it again "
                           "with --resume")
    return header, entries


def read_summaries(out_dir: str | os.PathLike) -> Iterator[dict]:
    """The per-input summaries of a finished partitioned output, in input order, as
    ``renovml predict --summary`` writes them.

    Raises
    ------
    RenovmlError
        If the run did not finish (``complete`` is not in its manifest).
    """
    _, entries = _finished_run(out_dir)
    for i in sorted(entries):
        with open(Path(out_dir) / entries[i]["summary"], encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def read_partitioned(out_dir: str | os.PathLike) -> Iterator[dict]:
    """The records of a finished partitioned output, in input order.

    Raises
    ------
    RenovmlError
        If the run did not finish (``complete`` is not in its manifest).
    """
    header, entries = _finished_run(out_dir)
    for i in sorted(entries):
        path = Path(out_dir) / entries[i]["file"]
        if header["format"] == "parquet":
            import pandas as pd

            yield from pd.read_parquet(path).to_dict("records")
            continue
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

