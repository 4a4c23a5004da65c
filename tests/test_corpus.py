"""The annotation format: the whole corpus validates, and each kind of break is caught."""

import copy
import json
from pathlib import Path

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
    source_groups,
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
    assert stats["articles"] >= 230
    assert stats["sentences"] >= 5500
    assert min(stats["sentences_per_theme"].values()) >= 500
    assert 0.25 <= stats["no_theme_share"] <= 0.35
    assert stats["multi_theme_share"] >= 0.10
    assert len(stats["articles_per_province"]) >= 15
    assert len(stats["articles_per_genre"]) >= 6
    assert stats["articles_per_script"]["traditional"] / stats["articles"] >= 0.10
    assert set(stats["articles_per_year"]) >= {str(y) for y in range(2019, 2026)}


def test_articles_written_from_checked_sources_read_like_the_seed_pages(corpus):
    # Articles from written_8 on were written from, or checked against, their source's
    # text; their sentences must be as long as real pages' (the seeds'): median within
    # 10%, and at least 8% over 100 characters.
    def lengths(articles):
        return [len(s["text"]) for a in articles for p in a["paragraphs"] for s in p["sentences"]]

    seeds = lengths(a for a in corpus if a["origin"] == "seed")
    later = lengths(a for a in corpus if a["origin"] == "written"
                    and int(Path(a["_file"]).stem.removeprefix("written_")) >= 8)
    assert len(later) >= 3000
    median = sorted(later)[len(later) // 2]
    seed_median = sorted(seeds)[len(seeds) // 2]
    assert abs(median - seed_median) <= 0.1 * seed_median
    assert sum(n > 100 for n in later) / len(later) >= 0.08


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
        (lambda r: r["paragraphs"][0]["sentences"][0].update(hard_case="slogan"),
         "hard_case 'slogan' is not one of"),
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
    b["source_url"] = "https://example.org/b"
    with pytest.raises(CorpusError, match="also appears in article 't-1'"):
        validate_corpus([a, b])


def test_a_known_hard_case_tag_passes():
    record = _good()
    record["paragraphs"][0]["sentences"][1]["hard_case"] = "plain_works"
    assert validate_corpus([record]) == []


def _other(article_id, **fields):
    record = _good()
    record["id"] = article_id
    record["paragraphs"][0]["sentences"] = [{"text": f"另一篇文章的一句话{article_id}。", "labels": []}]
    record["paragraphs"][0].update(text=record["paragraphs"][0]["sentences"][0]["text"],
                                   labels=[])
    record.update(fields)
    return record


@pytest.mark.parametrize("url", [
    "http://example.org/a", "https://www.example.org/a/", "HTTPS://m.example.org/a",
    "http://big5.example.org/gate/big5/www.example.org/a"])
def test_two_articles_from_one_page_address_are_caught(url):
    with pytest.raises(CorpusError, match="same source page as article 't-1'"):
        validate_corpus([_good(), _other("t-2", source_url=url)])


def test_two_articles_from_one_page_title_are_caught():
    # The same page title in traditional script with other punctuation, at another address.
    a = _good() | {"source_title": "长沙市老旧小区改造工作推进会召开"}
    b = _other("t-2", source_url="https://mirror.example.net/x.html",
               source_title="長沙市：老舊小區改造工作推進會召開")
    with pytest.raises(CorpusError, match="same source page as article 't-1' \\(title"):
        validate_corpus([a, b])


def test_a_written_article_from_a_seed_page_is_caught():
    # A seed has no address; its title is its page's title.
    seed = _good() | {"origin": "seed", "source_url": None, "title": "市委书记督导全市老旧小区改造工作"}
    written = _other("t-2", source_url="https://example.org/c", source_title="市委书记督导全市老旧小区改造工作")
    with pytest.raises(CorpusError, match="same source page"):
        validate_corpus([seed, written])


def test_different_pages_and_short_titles_pass():
    a = _good() | {"source_title": "通知"}
    b = _other("t-2", source_url="https://example.org/a?id=2", source_title="通知")
    assert validate_corpus([a, b]) == []


def test_source_groups_join_articles_through_a_shared_page():
    a = _good() | {"source_title": "某市老旧小区改造资金到位情况"}
    b = _other("t-2", source_url="https://example.org/b", source_title="某市老旧小区改造资金到位情况")
    c = _other("t-3", source_url="https://www.example.org/b/")
    d = _other("t-4", source_url="https://example.org/d")
    groups = source_groups([d, c, b, a])
    assert groups["t-1"] == groups["t-2"] == groups["t-3"] == "source:t-1"
    assert groups["t-4"] == "source:t-4"


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
