"""Label Studio and doccano: tasks out, finished annotations back in as corpus records.

Both tools label spans of a task's text. A task is one article's clean text; the
sentences renovml picked are pre-annotated as spans carrying the themes the model
predicts, or ``none`` for no theme. An annotator corrects the labels of those spans
(and may add spans). On import, a sentence covered by a span is labelled with the
span's themes (``none`` alone: no theme, ``[]``); a sentence no span covers was not
labelled and keeps ``null`` labels, so only what an annotator saw counts. Offsets are
indices into the task's text in characters (Python ``str`` indices, as both tools
count them). The article's id, source, metadata and sentence spans travel in the
task's data under ``renovml`` and come back with the export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from renovml.errors import InputError
from renovml.themes import THEMES
from renovml.training.corpus import normalize_record

__all__ = ["NONE", "from_doccano", "from_label_studio", "label_studio_config", "to_doccano",
           "to_label_studio"]

NONE = "none"
"""The span label that says "seen, and no theme"."""

_FROM, _TO = "theme", "text"


def label_studio_config() -> str:
    """The labelling configuration (XML) the exported tasks are made for."""
    labels = "\n".join(f"    <Label value={quoteattr(t)}/>" for t in (*THEMES, NONE))
    return (f'<View>\n  <Labels name="{_FROM}" toName="{_TO}" choice="multiple">\n{labels}\n'
            f'  </Labels>\n  <Text name="{_TO}" value="$text"/>\n</View>\n')


def _payload(task: dict) -> dict:
    return {"article_id": task["id"], "source": task.get("source"),
            "metadata": task.get("metadata", {}),
            "sentences": [[s["start"], s["end"], s["paragraph"]] for s in task["sentences"]]}


def _picked(task: dict) -> list[dict]:
    return [s for s in task["sentences"] if s.get("picked")]


def to_label_studio(tasks: Iterable[dict], *, model_version: str = "renovml") -> list[dict]:
    """Label Studio tasks with renovml's predictions as pre-annotations.

    Each picked sentence is a region labelled with its predicted themes (or ``none``),
    scored by the model's confidence (1 - uncertainty); each task's prediction is scored
    by its least confident pick, so sorting by prediction score puts the most uncertain
    tasks first.
    """
    out = []
    for task in tasks:
        picked = _picked(task)
        result = [{"id": s["id"], "from_name": _FROM, "to_name": _TO, "type": "labels",
                   "origin": "prediction",
                   "value": {"start": s["start"], "end": s["end"], "text": s["text"],
                             "labels": list(s["themes"]) or [NONE]},
                   "score": round(1 - s["uncertainty"], 4)} for s in picked]
        out.append({"data": {"text": task["text"], "renovml": _payload(task)},
                    "predictions": [{"model_version": model_version,
                                     "score": round(1 - task["score"], 4), "result": result}]})
    return out


def to_doccano(tasks: Iterable[dict]) -> list[dict]:
    """doccano sequence-labelling records: ``text``, ``label`` as ``[start, end, label]``
    spans (the picked sentences, one span per predicted theme, or ``none``), and the
    article's data under ``renovml``."""
    out = []
    for task in tasks:
        spans = [[s["start"], s["end"], theme] for s in _picked(task)
                 for theme in (s["themes"] or [NONE])]
        out.append({"text": task["text"], "label": spans, "renovml": _payload(task)})
    return out


def _record(text: str, payload: dict, spans: list[tuple[int, int, list[str]]],
            where: str) -> dict:
    """A corpus record (origin "user") from a task's text, renovml data and labelled spans."""
    if not isinstance(payload, dict) or "sentences" not in payload:
        raise InputError(f"{where}: no renovml data in the task; export tasks with "
                         "`renovml annotate export` so their sentences can be found again")
    sentences = payload["sentences"]
    labels: list[set | None] = [None] * len(sentences)
    for start, end, names in spans:
        unknown = [x for x in names if x not in THEMES and x != NONE]
        if unknown:
            raise InputError(f"{where}: span {start}-{end} has unknown label(s) {unknown}; "
                             f"expected {THEMES} or {NONE!r}")
        for i, (s_start, s_end, _) in enumerate(sentences):
            overlap = min(end, s_end) - max(start, s_start)
            # A span labels a sentence it covers for at least half of either's length: a
            # sentence's own span, a part of it, or several sentences at once.
            if overlap > 0 and 2 * overlap >= min(s_end - s_start, end - start):
                labels[i] = (labels[i] or set()) | {x for x in names if x != NONE}
    paragraphs: dict[int, list[dict]] = {}
    for (s_start, s_end, paragraph), got in zip(sentences, labels):
        paragraphs.setdefault(paragraph, []).append({
            "text": text[s_start:s_end],
            "labels": None if got is None else [t for t in THEMES if t in got]})
    metadata = payload.get("metadata") or {}
    record = {"id": str(payload.get("article_id")), "origin": "user",
              "source_url": payload.get("source"),
              "paragraphs": [{"sentences": paragraphs[k]} for k in sorted(paragraphs)]}
    if metadata:
        record["page_metadata"] = metadata
    return normalize_record(record, record["id"])


def _unique(records: list[dict], where: str, seen: dict) -> None:
    """An article exported twice (imported twice into the tool) would be labelled twice:
    name both places instead of keeping either silently."""
    article = records[-1]["id"]
    if article in seen:
        raise InputError(f"{where}: article {article!r} again, first at {seen[article]}; "
                         "remove the duplicate task from the tool's project or export")
    seen[article] = where


def _load(path) -> object:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:  # JSON lines
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: neither JSON nor JSON lines ({exc.msg} at line "
                             f"{exc.lineno})") from None


def from_label_studio(path) -> list[dict]:
    """Corpus records from a Label Studio JSON export of renovml's tasks.

    A task's latest annotation that was not cancelled counts (``was_cancelled`` or an
    empty result with no regions means nothing was labelled: every sentence null).
    Tasks never annotated are left out.
    """
    data = _load(path)
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a Label Studio JSON export (a list of tasks), "
                         f"got {type(data).__name__}")
    records, seen = [], {}
    for i, task in enumerate(data):
        where = f"{path}: task {task.get('id', i) if isinstance(task, dict) else i}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise InputError(f"{where}: expected an object with 'data'")
        annotations = [a for a in task.get("annotations") or []
                       if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            continue
        latest = max(annotations, key=lambda a: (str(a.get("updated_at") or ""),
                                                 a.get("id") or 0))
        text = task["data"].get("text", "")
        spans = []
        for region in latest.get("result") or []:
            if region.get("type") != "labels":
                continue
            value = region.get("value") or {}
            start, end = _aligned(text, value, f"{where} region {region.get('id')}")
            spans.append((start, end, list(value.get("labels", []))))
        records.append(_record(text, task["data"].get("renovml"), spans, where))
        _unique(records, where, seen)
    return records


def _aligned(text: str, value: dict, where: str) -> tuple[int, int]:
    """A region's offsets into ``text``, checked against the text it says it covers.

    Label Studio stores offsets as sent, in characters; a browser counting UTF-16 code
    units puts a region after a character outside the Basic Multilingual Plane one place
    too far per such character. A region whose offsets miss its own text is moved to the
    nearest place that text occurs; one whose text occurs nowhere is an error.
    """
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: a labels region needs integer 'start' and 'end', got "
                         f"{value!r:.80}") from None
    covered = value.get("text")
    if not covered or text[start:end] == covered:
        if not 0 <= start < end <= len(text):
            raise InputError(f"{where}: offsets {start}-{end} are outside the task's text "
                             f"({len(text)} characters)")
        return start, end
    found = list(_occurrences(text, covered))
    if not found:
        raise InputError(f"{where}: the region's text {covered[:30]!r} is not in the task's "
                         "text; was the task's text changed?")
    best = min(found, key=lambda i: abs(i - start))
    return best, best + len(covered)


def _occurrences(text: str, sub: str):
    i = text.find(sub)
    while i != -1:
        yield i
        i = text.find(sub, i + 1)


def from_doccano(path) -> list[dict]:
    """Corpus records from a doccano JSONL export of renovml's tasks (``label`` as
    ``[start, end, label]`` lists, or ``entities`` with ``start_offset``/``end_offset``)."""
    data = _load(path)
    if isinstance(data, dict):
        data = [data]
    records, seen = [], {}
    for i, item in enumerate(data):
        where = f"{path}: record {i + 1}"
        if not isinstance(item, dict) or "text" not in item:
            raise InputError(f"{where}: expected an object with 'text'")
        spans = []
        for span in item.get("label") or []:
            start, end, name = span
            spans.append((int(start), int(end), [name]))
        for entity in item.get("entities") or []:
            spans.append((int(entity["start_offset"]), int(entity["end_offset"]),
                          [entity["label"]]))
        records.append(_record(item["text"], item.get("renovml"), spans, where))
        _unique(records, where, seen)
    return records
