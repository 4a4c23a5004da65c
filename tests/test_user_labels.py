"""A user's own labels: minimal records, unlabelled sentences, training and evaluating on them."""

import json

import pytest

import renovml
from renovml.errors import CorpusError
from renovml.training import Config
from renovml.training.corpus import normalize_record, read_corpus, validate_corpus
from renovml.training.cv import units_of

CHEAP = Config("words + chars", lexicon=False)

FRAMES = [
    ("{p}争取中央补助资金{n}万元，用于老旧小区改造。", ["funding"]),
    ("{p}召开居民议事会，征求居民对改造方案的意见。", ["governance"]),
    ("{p}更换供水管网{n}米，加装电梯{m}部。", ["infrastructure"]),
    ("{p}引入物业服务企业，建立长效管理机制。", ["management"]),
    ("{p}以奖代补{n}万元支持业委会组建，成立自管小组。", ["funding", "management"]),
    ("记者 {p} 通讯员 王{n}", []),
]
PLACES = ["东湖社区", "西城街道", "南园小区", "北关片区", "河口社区", "桥头小区", "新村街道",
          "老街社区", "枫林小区", "柳营片区"]


def section_records():
    """One minimal record per labelled section: text and labels, nothing else."""
    return [{"text": frame.format(p=place, n=10 * i + j + 3, m=i + j + 1), "labels": labels}
            for i, place in enumerate(PLACES) for j, (frame, labels) in enumerate(FRAMES)]


def test_a_labelled_section_becomes_a_one_section_article():
    got = normalize_record({"text": "加装电梯三部。", "labels": ["infrastructure"]}, "mine-1")
    assert got == {"id": "mine-1", "origin": "user", "paragraphs": [{
        "text": "加装电梯三部。", "labels": ["infrastructure"],
        "sentences": [{"text": "加装电梯三部。", "labels": ["infrastructure"]}]}]}
    assert validate_corpus([got]) == []


def test_an_article_without_metadata_keeps_its_sentences_and_unlabelled_ones():
    record = {"id": "a1", "place": {"province": "湖北"}, "paragraphs": [
        {"sentences": [{"text": "资金共筹落实到位。", "labels": ["management", "funding"]},
                       {"text": "加装电梯三部。", "labels": None}]},
        {"sentences": [{"text": "记者 王某", "labels": []}]}]}
    got = normalize_record(record, "x")
    assert got["origin"] == "user" and got["place"] == {"province": "湖北"}
    first, second = got["paragraphs"]
    assert first["text"] == "资金共筹落实到位。加装电梯三部。"
    assert first["sentences"][0]["labels"] == ["funding", "management"]  # themes' order
    assert first["labels"] is None  # a sentence of it was not labelled
    assert second["labels"] == []
    assert validate_corpus([got]) == []


def test_unlabelled_sentences_are_context_not_units():
    article = normalize_record({"id": "a1", "paragraphs": [
        {"sentences": [{"text": "一、资金保障", "labels": None},
                       {"text": "争取补助资金二百万元。", "labels": ["funding"]}]},
        {"sentences": [{"text": "加装电梯三部。", "labels": ["infrastructure"]}]}]}, "x")
    S, P = units_of([article], "sentence"), units_of([article], "paragraph")
    assert [x["text"] for x in S.inputs] == ["争取补助资金二百万元。", "加装电梯三部。"]
    assert S.inputs[0]["prev"] == "一、资金保障"  # still read as context
    assert S.paragraph_of.tolist() == [-1, 0]  # the first paragraph is not wholly labelled
    assert [x["text"] for x in P.inputs] == ["加装电梯三部。"]


@pytest.mark.parametrize(("record", "message"), [
    ({"text": "加装电梯三部。", "labels": ["lifts"]}, r"unknown label\(s\) \['lifts'\]"),
    ({"text": "加装电梯三部。", "labels": "infrastructure"}, "labels must be a list"),
    ({"text": "加装电梯三部。", "labels": [["funding"]]}, "unknown label"),
    ({"text": "加装电梯三部。", "labels": [], "date": "2021/3/4"}, "is not YYYY-MM-DD"),
    ({"text": "", "labels": []}, "text is empty"),
    ({"title": "no text"}, "missing field 'paragraphs'"),
])
def test_a_bad_minimal_record_is_named(record, message):
    with pytest.raises(CorpusError, match=message):
        validate_corpus([normalize_record(record, "mine-1")])


def test_null_labels_are_only_for_a_users_records():
    article = {"id": "w", "source_url": "https://example.org/w", "title": "t", "date": "2022-01-01",
               "place": {"province": "湖南"}, "genre": "meeting_report", "script": "simplified",
               "origin": "written", "paragraphs": [{"text": "加装电梯三部。", "labels": [],
                                                    "sentences": [{"text": "加装电梯三部。",
                                                                   "labels": None}]}]}
    with pytest.raises(CorpusError, match="labels must be a list"):
        validate_corpus([article])


@pytest.fixture(scope="module")
def minimal_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("mine") / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in section_records()),
                    encoding="utf-8")
    return path


def test_minimal_records_are_read_with_ids_from_their_lines(minimal_file):
    articles = read_corpus(minimal_file)
    assert len(articles) == len(PLACES) * len(FRAMES)
    assert articles[0]["id"] == "mine-1" and articles[-1]["id"] == f"mine-{len(articles)}"
    assert validate_corpus(articles) == []


def test_minimal_records_train_and_evaluate(minimal_file, tmp_path):
    result = renovml.train(str(minimal_file), folds=2, candidates=[CHEAP], learning_curve=False)
    assert result.metrics["corpus"]["sentences"] == len(PLACES) * len(FRAMES)
    assert result.metrics["sentence"]["macro_f1"] > 0.5
    scored = renovml.evaluate(result.model, minimal_file)
    assert scored["sentences"] == len(PLACES) * len(FRAMES)
    assert set(scored["sentence"]) >= {"funding", "macro_f1"}


def test_eval_command_takes_minimal_records(minimal_file, capsys):
    from renovml.cli import main

    assert main(["eval", str(minimal_file)]) == 0
    out = capsys.readouterr().out
    assert "macro" in out.lower()


def test_training_on_two_corpora_reports_each_part(minimal_file, tmp_path):
    theirs = tmp_path / "theirs.jsonl"
    records = [{"text": r["text"].replace("社区", "村").replace("小区", "院") + "（二）",
                "labels": r["labels"]} for r in section_records()]
    theirs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                      encoding="utf-8")
    result = renovml.train([minimal_file, theirs], folds=2, candidates=[CHEAP],
                           learning_curve=False)
    parts = result.metrics["parts"]
    assert [p["corpus"] for p in parts] == [str(minimal_file), str(theirs)]
    assert [p["sentences"] for p in parts] == [len(records), len(records)]
    assert all(0 <= p["sentence"]["macro_f1"] <= 1 for p in parts)
    assert "### By corpus part" in result.model_card and "theirs.jsonl" in result.model_card
