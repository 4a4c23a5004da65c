"""The annotation loop: select, export to Label Studio and doccano, import, tune."""

import hashlib
import json

import numpy as np
import pytest
from conftest import SEED_PATHS

import renovml
from renovml import annotate
from renovml.cli import main
from renovml.errors import InputError
from renovml.themes import THEMES
from renovml.training.corpus import validate_corpus


@pytest.fixture(scope="module")
def model():
    return renovml.load()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The seed pages, plus one of them again under another name (a repost)."""
    folder = tmp_path_factory.mktemp("pages")
    for path in SEED_PATHS:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "repost.txt").write_bytes(SEED_PATHS[1].read_bytes())
    return folder


@pytest.fixture(scope="module")
def selected(inputs, model):
    return annotate.select([str(inputs)], 20, model=model, per_article=3, seed=7)


def test_select_is_deterministic(inputs, model, selected):
    again = annotate.select([str(inputs)], 20, model=model, per_article=3, seed=7)
    assert again == selected


def test_select_keeps_the_cap_spreads_and_skips_duplicates(selected):
    tasks, errors = selected
    assert errors == []
    picked = [(t["id"], s) for t in tasks for s in t["sentences"] if s["picked"]]
    assert len(picked) == 18  # six articles, three each: the cap bounds it below 20
    per_article = {}
    for article, _ in picked:
        per_article[article] = per_article.get(article, 0) + 1
    assert max(per_article.values()) == 3
    texts = [s["text"] for _, s in picked]
    assert len(set(texts)) == len(texts)  # the repost's copies are near-duplicates
    assert {s["uncertainty"] for _, s in picked} and all(
        0 < s["uncertainty"] <= 1 for _, s in picked)


def test_select_picks_the_least_certain(selected, model):
    tasks, _ = selected
    for task in tasks:
        picked = [s["uncertainty"] for s in task["sentences"] if s["picked"]]
        assert task["score"] == max(picked)
        for s in task["sentences"]:
            assert task["text"][s["start"]:s["end"]] == s["text"]
            assert s["themes"] == [t for t, th in zip(THEMES, model.thresholds)
                                   if s["scores"][t] >= th]
    assert [t["score"] for t in tasks] == sorted((t["score"] for t in tasks), reverse=True)


def _annotator(sentence_text: str) -> list[str]:
    """A stand-in annotator: labels decided by the text's hash (and sometimes none)."""
    h = int(hashlib.sha256(sentence_text.encode()).hexdigest(), 16)
    return [t for k, t in enumerate(THEMES) if h >> k & 1]


def _given(tasks):
    return {(t["id"], s["id"]): _annotator(s["text"]) for t in tasks for s in t["sentences"]
            if s["picked"]}


def _check_round_trip(records, tasks):
    validate_corpus(records, check_reserved=False)
    given = _given(tasks)
    assert [r["id"] for r in records] == [t["id"] for t in tasks]
    for record, task in zip(records, tasks):
        got = [s for p in record["paragraphs"] for s in p["sentences"]]
        assert [s["text"] for s in got] == [s["text"] for s in task["sentences"]]
        for mine, theirs in zip(got, task["sentences"]):
            expected = given.get((task["id"], theirs["id"]))
            assert mine["labels"] == expected  # None where no one labelled it


def test_label_studio_round_trip(selected, tmp_path):
    tasks, _ = selected
    exported = annotate.to_label_studio(tasks)
    assert exported[0]["predictions"][0]["score"] <= exported[-1]["predictions"][0]["score"]
    finished = []
    for n, task in enumerate(exported, 1):
        result = []
        for region in task["predictions"][0]["result"]:
            labels = _annotator(region["value"]["text"]) or [annotate.NONE]
            result.append({**region, "origin": "manual", "value": {**region["value"],
                                                                   "labels": labels}})
        finished.append({"id": n, "data": task["data"], "annotations": [
            {"id": 10 * n, "result": [], "was_cancelled": True},
            {"id": 10 * n + 1, "result": result, "was_cancelled": False,
             "updated_at": "2026-12-02T10:00:00Z"}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(finished, ensure_ascii=False), encoding="utf-8")
    _check_round_trip(annotate.from_label_studio(path), tasks)


def test_doccano_round_trip(selected, tmp_path):
    tasks, _ = selected
    out = []
    for record in annotate.to_doccano(tasks):
        spans = {(s, e) for s, e, _ in record["label"]}
        labelled = []
        for start, end in sorted(spans):
            text = record["text"][start:end]
            labelled += [[start, end, t] for t in _annotator(text) or [annotate.NONE]]
        out.append({**record, "label": labelled})
    path = tmp_path / "doccano.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out),
                    encoding="utf-8")
    _check_round_trip(annotate.from_doccano(path), tasks)


def test_a_span_over_part_of_a_sentence_labels_that_sentence(selected, tmp_path):
    tasks, _ = selected
    task = tasks[0]
    s = next(x for x in task["sentences"] if x["picked"] and x["end"] - x["start"] > 10)
    mid = (s["start"] + s["end"]) // 2
    item = {**annotate.to_doccano([task])[0], "label": [[s["start"] + 2, mid + 3, "funding"]]}
    path = tmp_path / "part.jsonl"
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    record = annotate.from_doccano(path)[0]
    labels = {x["text"]: x["labels"] for p in record["paragraphs"] for x in p["sentences"]}
    assert labels[s["text"]] == ["funding"]
    assert sum(v is not None for v in labels.values()) == 1


def test_imports_name_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    with pytest.raises(InputError, match="expected a Label Studio JSON export"):
        annotate.from_label_studio(bad)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps([{"id": 1, "data": {"text": "某某"}, "annotations": [
        {"result": [{"type": "labels", "value": {"start": 0, "end": 2, "labels": ["x"]}}]}]}]),
        encoding="utf-8")
    with pytest.raises(InputError, match="no renovml data in the task"):
        annotate.from_label_studio(foreign)


def test_the_command_line_loop(inputs, tmp_path, capsys):
    batch, tasks_json = tmp_path / "batch.jsonl", tmp_path / "tasks.json"
    assert main(["annotate", "select", str(inputs), "-n", "8", "-o", str(batch)]) == 0
    assert main(["annotate", "export", str(batch), "--to", "label-studio",
                 "-o", str(tasks_json)]) == 0
    config = (tmp_path / "tasks.config.xml").read_text(encoding="utf-8")
    assert all(f'value="{t}"' in config for t in (*THEMES, "none"))
    exported = json.loads(tasks_json.read_text(encoding="utf-8"))
    finished = [{"id": i, "data": t["data"], "annotations": [
        {"id": i, "result": t["predictions"][0]["result"], "was_cancelled": False}]}
        for i, t in enumerate(exported)]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(finished, ensure_ascii=False), encoding="utf-8")
    mine = tmp_path / "mine.jsonl"
    assert main(["annotate", "import", str(export), "--from", "label-studio",
                 "-o", str(mine)]) == 0
    assert "8 labelled sentences" in capsys.readouterr().err
    assert main(["eval", str(mine)]) == 0
    with pytest.raises(SystemExit):
        main(["annotate", "export", str(batch), "--to", "brat", "-o", str(tmp_path / "x")])
    assert main(["annotate", "export", str(tmp_path / "missing.jsonl"), "--to", "doccano",
                 "-o", str(tmp_path / "x.jsonl")]) == 2


def test_tune_follows_a_stricter_reading_of_governance(model, tmp_path):
    # A user who counts governance only where the model is very sure of it: their labels
    # are the model's own decisions with governance kept only above 0.8.
    from renovml.model.context import with_context

    records = []
    for path in SEED_PATHS:
        article = renovml.Article.from_path(path)
        paragraphs = [[s.text for s in article.sentences if s.paragraph == p.paragraph]
                      for p in article.paragraphs]
        proba = model.scorer.predict_proba(with_context(paragraphs, "sentence", clean=True))
        it = iter(proba)
        records.append({"id": path.stem, "paragraphs": [{"sentences": [
            {"text": text, "labels": [t for t, th, v in zip(THEMES, model.thresholds, row)
                                      if v >= (0.8 if t == "governance" else th)]}
            for text, row in zip(p, it)]} for p in paragraphs]})
    tuned, report = annotate.tune(model, records, min_positives=3)
    k = THEMES.index("governance")
    assert tuned.thresholds[k] > model.thresholds[k]
    assert report["units"]["sentence"]["themes"]["governance"]["f1_new"] >= (
        report["units"]["sentence"]["themes"]["governance"]["f1_old"])
    np.testing.assert_array_equal(model.thresholds, renovml.load().thresholds)  # untouched
    artifact = annotate.save_tuned(tuned, report, tmp_path / "mine")
    again = renovml.load(artifact, trusted=True)
    assert again.thresholds.tolist() == tuned.thresholds.tolist()
    assert json.loads((tmp_path / "mine" / "tuning.json").read_text())["units"]["sentence"]


def test_label_studio_regions_counted_in_utf16_are_realigned(tmp_path):
    text = "𠮷野家小区。加装电梯三部。"
    task = {"id": "a", "source": "x", "metadata": {}, "text": text, "score": 0.5, "sentences": [
        {"id": "p0.s0", "paragraph": 0, "start": 0, "end": 6, "text": text[:6], "picked": True,
         "themes": [], "uncertainty": 0.5},
        {"id": "p0.s1", "paragraph": 0, "start": 6, "end": 13, "text": text[6:], "picked": True,
         "themes": [], "uncertainty": 0.5}]}
    data = annotate.to_label_studio([task])[0]["data"]
    utf16_start = len(text[:6].encode("utf-16-le")) // 2  # one more than the code points
    region = {"id": "r", "type": "labels", "value": {"start": utf16_start, "end": utf16_start + 7,
                                                      "text": text[6:], "labels": ["infrastructure"]}}
    lost = {**region, "value": {**region["value"], "text": "不在文中的字"}}
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"id": 1, "data": data, "annotations": [{"result": [region]}]}],
                               ensure_ascii=False), encoding="utf-8")
    record = annotate.from_label_studio(path)[0]
    assert [s["labels"] for s in record["paragraphs"][0]["sentences"]] == [None, ["infrastructure"]]
    path.write_text(json.dumps([{"id": 1, "data": data, "annotations": [{"result": [lost]}]}],
                               ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match="is not in the task's text"):
        annotate.from_label_studio(path)


def test_tune_leaves_thresholds_alone_where_the_labels_agree_with_them(model):
    # Labels that are exactly the model's own decisions ask for no change.
    from renovml.model.context import with_context

    records = []
    for path in SEED_PATHS:
        article = renovml.Article.from_path(path)
        paragraphs = [[s.text for s in article.sentences if s.paragraph == p.paragraph]
                      for p in article.paragraphs]
        proba = iter(model.scorer.predict_proba(with_context(paragraphs, "sentence", clean=True)))
        records.append({"id": path.stem, "paragraphs": [{"sentences": [
            {"text": text, "labels": [t for t, th, v in zip(THEMES, model.thresholds, row)
                                      if v >= th]}
            for text, row in zip(p, proba)]} for p in paragraphs]})
    tuned, report = annotate.tune(model, records, min_positives=1)
    moved = np.abs(tuned.thresholds - model.thresholds)
    assert (moved <= 0.011).all(), report  # the grid's step, at most


def test_the_commands_never_write_over_their_inputs(inputs, tmp_path):
    batch = tmp_path / "batch.jsonl"
    assert main(["annotate", "select", str(inputs), "-n", "4", "-o", str(batch)]) == 0
    before = batch.read_bytes()
    assert main(["annotate", "export", str(batch), "--to", "doccano", "-o", str(batch)]) == 2
    # the labelling config written beside a Label Studio export may not land on the input
    config_clash = tmp_path / "batch.config.xml"
    config_clash.write_text("<View/>", encoding="utf-8")
    assert main(["annotate", "export", str(config_clash), "--to", "label-studio",
                 "-o", str(tmp_path / "batch.json")]) == 2
    assert main(["annotate", "import", str(batch), "--from", "doccano", "-o", str(batch)]) == 2
    assert main(["annotate", "select", str(batch), "-n", "2", "-o", str(batch)]) == 2
    assert batch.read_bytes() == before
    assert config_clash.read_text(encoding="utf-8") == "<View/>"


def test_tune_never_writes_over_the_model_it_tunes(tmp_path, capsys):
    from renovml.model.artifact import shipped_model_path

    shipped = shipped_model_path()
    before = shipped.read_bytes()
    corpus = tmp_path / "mine.jsonl"
    corpus.write_text(json.dumps({"text": "加装电梯三部。", "labels": ["infrastructure"]},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["tune", str(corpus), "-o", str(shipped.parent)]) == 2
    assert "holds the model being tuned" in capsys.readouterr().err
    assert shipped.read_bytes() == before
    mine = tmp_path / "mine-model"
    assert main(["tune", str(corpus), "-o", str(mine), "--min-positives", "1"]) == 0
    assert main(["tune", str(corpus), "-o", str(mine), "--model", str(mine), "--trusted"]) == 2


def test_an_article_exported_twice_is_named(selected, tmp_path):
    tasks, _ = selected
    record = annotate.to_doccano(tasks[:1])[0]
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (record, record)),
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"record 2: article .* again, first at .*record 1"):
        annotate.from_doccano(path)
