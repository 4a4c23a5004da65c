"""Splitting clean text into located paragraphs and sentences."""

import dataclasses

import pytest
from conftest import SEED_PATHS
from hypothesis import given, settings
from hypothesis import strategies as st

import renovml
from renovml import Article, Section, clean, sections


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("第一句话在这里。第二句话在这里！第三句话在这里？", ["第一句话在这里。", "第二句话在这里！", "第三句话在这里？"]),
        ("资金共筹落实到位；建设共管同步推进。", ["资金共筹落实到位；", "建设共管同步推进。"]),
        ("他说：“改造完成了。”居民们都很满意。", ["他说：“改造完成了。”", "居民们都很满意。"]),
        ("还有很多问题……需要解决。", ["还有很多问题……", "需要解决。"]),
        ("一、总体要求\n坚持党建引领。", ["一、总体要求", "坚持党建引领。"]),
        ("好的。加装电梯工作全面推进。", ["好的。加装电梯工作全面推进。"]),  # short piece joins
        ("加装电梯工作全面推进。好。", ["加装电梯工作全面推进。好。"]),
        ("没有句末标点的一行", ["没有句末标点的一行"]),
    ],
)
def test_sentence_split(text, expected):
    assert [s.text for s in sections(text, "sentence")] == expected


def test_paragraphs_are_lines():
    text = "第一段第一句。第一段第二句。\n第二段内容在此。"
    paras = sections(text, "paragraph")
    assert [p.text for p in paras] == ["第一段第一句。第一段第二句。", "第二段内容在此。"]
    assert [p.id for p in paras] == ["p0", "p1"]
    assert [p.unit for p in paras] == ["paragraph", "paragraph"]


def test_sentence_ids_name_their_paragraph():
    text = "第一段第一句。第一段第二句。\n第二段内容在此。"
    assert [s.id for s in sections(text, "sentence")] == ["p0.s0", "p0.s1", "p1.s0"]


def test_short_paragraph_joins_next():
    text = "1\n第二段内容在此。"
    paras = sections(text, "paragraph")
    assert len(paras) == 1
    assert paras[0].text == text


def test_empty_text_has_no_sections():
    assert sections("", "sentence") == []
    assert sections("\n\n", "paragraph") == []


def test_sections_are_frozen():
    section = sections("加装电梯工作全面推进。")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        section.text = "x"


def test_bad_unit_is_named():
    with pytest.raises(ValueError, match="unit must be one of .* got 'word'"):
        sections("加装电梯。", "word")


def test_ids_are_stable():
    text = clean(renovml.read_text(SEED_PATHS[0]))
    assert sections(text) == sections(text)


def test_article_from_text_and_path_agree():
    raw = renovml.read_text(SEED_PATHS[1])
    a = Article.from_text(raw)
    b = Article.from_path(SEED_PATHS[1])
    assert a.text == b.text
    assert a.metadata == b.metadata
    assert b.id == str(SEED_PATHS[1])
    assert all(isinstance(s, Section) for s in a.sentences)
    assert a.sections("paragraph") == a.paragraphs


@pytest.mark.parametrize("path", SEED_PATHS, ids=lambda p: p.name[:3])
@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
def test_seed_sections_slice_back(path, unit):
    text = clean(renovml.read_text(path))
    secs = sections(text, unit)
    assert secs
    for s in secs:
        assert s.text == text[s.start:s.end]
        assert s.text.strip() == s.text


_ALPHABET = st.sampled_from(
    list("老旧小区改造资金治理物业电梯管网，。！？；…、：“”（）()\n \u3000\u00a0")
    + ["<p>", "</p>", "(xiàn)", "現", "區", "，，", "責編:", "分享到", "&amp;", "\u200b"]
)
_CHINESE_ISH = st.lists(_ALPHABET, max_size=80).map("".join)
_ANY_TEXT = st.one_of(st.text(max_size=200), _CHINESE_ISH)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_clean_never_raises_and_is_idempotent(text):
    once = clean(text)
    assert clean(once) == once


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT, st.sampled_from(["paragraph", "sentence"]))
def test_sections_slice_back_into_clean_text(text, unit):
    clean_text = clean(text)
    for s in sections(clean_text, unit):
        assert s.text == clean_text[s.start:s.end]
        assert s.text


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_sentences_tile_their_paragraph(text):
    clean_text = clean(text)
    paragraphs = sections(clean_text, "paragraph")
    sentences = sections(clean_text, "sentence")
    for p_index, paragraph in enumerate(paragraphs):
        mine = [s for s in sentences if s.paragraph == p_index]
        assert mine, "every paragraph has a sentence"
        assert mine[0].start == paragraph.start
        assert mine[-1].end == paragraph.end
        for left, right in zip(mine, mine[1:]):
            assert left.end <= right.start  # no overlap
            assert clean_text[left.end:right.start].strip() == ""  # nothing but space between
    assert len(sentences) == sum(1 for _ in sentences if 0 <= _.paragraph < len(paragraphs))
