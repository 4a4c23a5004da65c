"""The annotation format: the whole corpus validates, and each kind of break is caught."""

import copy
import json

import pytest
from conftest import ROOT, SEED_PATHS

import renovml
from renovml.errors import CorpusError
from renovml.training.corpus import (
    THEMES,
    corpus_hash,
    corpus_stats,
    is_reserved,
    read_corpus,
    validate_corpus,
)

CORPUS = ROOT / "seeds" / "corpus"


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(CORPUS)


def test_whole_corpus_is_valid(corpus):
    assert validate_corpus(corpus) == []


def test_corpus_meets_its_targets(corpus):
    stats = corpus_stats(corpus)
    assert stats["articles_per_origin"]["written"] >= 100
    assert stats["sentences"] >= 2000
    assert min(stats["sentences_per_theme"].values()) >= 300
    assert 0.25 <= stats["no_theme_share"] <= 0.35
    assert stats["multi_theme_share"] >= 0.10
    assert len(stats["articles_per_province"]) >= 15
    assert len(stats["articles_per_genre"]) >= 6
    assert stats["articles_per_script"]["traditional"] / stats["articles"] >= 0.10
    assert set(stats["articles_per_year"]) >= {str(y) for y in range(2019, 2026)}


def test_seed_annotations_line_up_with_sections(corpus):
    seeds = {a["source_file"]: a for a in corpus if a["origin"] == "seed"}
    assert sorted(seeds) == [p.name for p in SEED_PATHS]
    for path in SEED_PATHS:
        article = renovml.Article.from_path(path)
        annotated = seeds[path.name]
        assert [p["text"] for p in annotated["paragraphs"]] == [p.text for p in article.paragraphs]
        assert [s["text"] for p in annotated["paragraphs"] for s in p["sentences"]] == [
            s.text for s in article.sentences]


def _good():
    return {
        "id": "t-1", "source_url": "https://example.org/a", "title": "测试", "date": "2021-06-23",
        "place": {"province": "湖北", "city": "武汉市"}, "genre": "meeting_report",
        "script": "simplified", "origin": "written",
        "paragraphs": [{
            "text": "资金共筹落实到位。加装电梯三部。",
            "labels": ["funding", "infrastructure"],
            "sentences": [{"text": "资金共筹落实到位。", "labels": ["funding"]},
                          {"text": "加装电梯三部。", "labels": ["infrastructure"]}],
        }],
    }


def test_good_record_passes():
    assert validate_corpus([_good()]) == []


def _broken(mutate):
    record = copy.deepcopy(_good())
    mutate(record)
    return record


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("genre"), "missing field 'genre'"),
        (lambda r: r.update(genre="blog"), "genre 'blog' is not one of"),
        (lambda r: r.update(script="latin"), "script 'latin'"),
        (lambda r: r.update(date="23/06/2021"), "is not YYYY-MM-DD"),
        (lambda r: r.update(place="武汉"), "must be an object with a province"),
        (lambda r: r["paragraphs"][0]["sentences"][0].update(labels=["money"]),
         r"unknown label\(s\) \['money'\]"),
        (lambda r: r["paragraphs"][0]["sentences"][0].update(labels=["funding", "funding"]),
         "must be unique and in the order"),
        (lambda r: r["paragraphs"][0].update(labels=["infrastructure", "funding"]),
         "must be unique and in the order"),
        (lambda r: r["paragraphs"][0].update(labels=["funding"]), "union rule"),
        (lambda r: r["paragraphs"][0].update(text="资金共筹落实到位。"), "join rule"),
        (lambda r: r["paragraphs"][0].update(sentences=[]), "non-empty 'sentences'"),
        (lambda r: r["paragraphs"][0]["sentences"][1].update(text=""), "text is empty"),
        (lambda r: r.update(paragraphs=[]), "paragraphs must be a non-empty list"),
    ],
)
def test_broken_record_is_named(mutate, message):
    with pytest.raises(CorpusError, match=message):
        validate_corpus([_broken(mutate)])


def test_duplicate_id_is_caught():
    a, b = _good(), _good()
    b["paragraphs"][0]["sentences"] = [{"text": "另一句话在这里。", "labels": []}]
    b["paragraphs"][0].update(text="另一句话在这里。", labels=[])
    with pytest.raises(CorpusError, match="duplicate id 't-1'"):
        validate_corpus([a, b])


def test_duplicate_sentence_across_articles_is_caught():
    a, b = _good(), _good()
    b["id"] = "t-2"
    with pytest.raises(CorpusError, match="also appears in article 't-1'"):
        validate_corpus([a, b])


def test_reserved_source_is_caught():
    record = _good()
    # A source held out for independent evaluation (from the reserved list).
    record["source_url"] = "http://m.hbtctv.cn/p/36397.html"
    assert is_reserved(url=record["source_url"])
    with pytest.raises(CorpusError, match="reserved for independent evaluation"):
        validate_corpus([record])


def test_reserved_url_matching_is_normalised():
    assert is_reserved(url="https://www.m.hbtctv.cn/p/36397.html/".replace("www.m.", "m."))
    assert not is_reserved(url="https://example.org/not-reserved")


def test_problems_can_be_listed_without_raising():
    problems = validate_corpus([_broken(lambda r: r.update(genre="blog"))], raise_on_error=False)
    assert len(problems) == 1 and "genre" in str(problems[0])


def test_bad_json_line_is_named(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_good(), ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"c.jsonl:2: not valid JSON"):
        read_corpus(path)


def test_missing_corpus_is_named(tmp_path):
    with pytest.raises(CorpusError, match="no such corpus"):
        read_corpus(tmp_path / "nothing")


def test_corpus_hash_changes_with_content(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(_good(), ensure_ascii=False) + "\n", encoding="utf-8")
    before = corpus_hash(path)
    path.write_text(json.dumps(_broken(lambda r: r.update(title="改")), ensure_ascii=False) + "\n",
                    encoding="utf-8")
    assert corpus_hash(path) != before


def test_stats_count_what_is_there():
    stats = corpus_stats([_good()])
    assert stats["articles"] == 1
    assert stats["sentences"] == 2
    assert stats["sentences_per_theme"] == {"funding": 1, "governance": 0, "infrastructure": 1,
                                            "management": 0}
    assert stats["no_theme_share"] == 0.0
    assert list(stats["sentences_per_theme"]) == list(THEMES)
