"""renovml on Spark: a pandas-in, pandas-out function for ``DataFrame.mapInPandas``.

Spark needs no code of renovml's beyond this: each Python worker of an executor loads
the model once (by path and SHA-256, on first use) and keeps it for every batch after;
:func:`tag_batches` turns each Arrow batch of articles into a frame of section records
with :data:`SCHEMA`, the columns of ``renovml predict``'s CSV output. Tested with pandas
alone; pyspark is not imported here.

>>> from renovml.spark import SCHEMA, tag_batches                       # doctest: +SKIP
>>> sections = articles.select("id", "text").mapInPandas(tag_batches, SCHEMA)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from renovml.dask import FRAME_COLUMNS, _Config, _config, _frame_tasks, _tagged, section_frame
from renovml.themes import THEMES

__all__ = ["SCHEMA", "tag_batches"]

_SPARK_TYPES = {"start": "bigint", "end": "bigint",
                **{f"score_{t}": "double" for t in THEMES}}

#: The output schema as a Spark DDL string, for ``mapInPandas(tag_batches, SCHEMA)``.
SCHEMA = ", ".join(f"`{c}` {_SPARK_TYPES.get(c, 'string')}" for c in FRAME_COLUMNS)

_configs: dict[tuple, _Config] = {}  # per Python worker: the model is hashed once


def tag_batches(frames: Iterable, *, text: str = "text", id: str = "id",
                model: str | os.PathLike | None = None, unit: str = "paragraph",
                thresholds: dict | None = None, explain: int = 0,
                tokenizer: str = "auto") -> Iterator:
    """Tag batches of articles, one frame of section records per batch.

    Parameters
    ----------
    frames : iterable of pandas.DataFrame
        Articles, one a row, with columns ``id`` and ``text`` (what ``mapInPandas``
        passes its function).
    text, id : str
        The column names.
    model : path-like, optional
        A model file every executor can read at this path (default: the shipped model);
        loaded once per Python worker and checked by SHA-256, never shipped.
    unit, thresholds, explain, tokenizer
        As for ``renovml predict``.

    Yields
    ------
    pandas.DataFrame
        The records of the batch's articles in row order, one row per section or one
        error row per failed article, with the columns of :data:`SCHEMA`: text columns
        as object dtype (plain Python strings, which Arrow converts without surprises).

    Raises
    ------
    ValueError
        If a frame lacks the ``text`` or ``id`` column.
    """
    key = (None if model is None else os.fspath(model), unit,
           tuple(sorted((thresholds or {}).items())), explain, tokenizer)
    config = _configs.get(key)
    if config is None:
        config = _configs[key] = _config(model, unit, thresholds, explain, tokenizer)
    for frame in frames:
        tasks = _frame_tasks(frame, text, id)
        yield section_frame(r for _, records in _tagged(tasks, config) for r in records)
