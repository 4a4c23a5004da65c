"""renovml's own word segmenter: private, lexicon-aware, picklable by reference."""

import logging
import pickle

import jieba
import pytest
from conftest import ROOT

import renovml
from renovml.model import tokens as _tokens
from renovml.model.context import is_heading, with_context
from renovml.training.corpus import read_corpus


def test_tokenizer_is_private_and_built_once():
    tok = _tokens.tokenizer()
    assert tok is _tokens.tokenizer()
    assert tok is not jieba.dt


def test_domain_lexicon_does_not_leak_into_jiebas_default():
    _tokens.tokenize("红色物业和加装电梯")
    assert "红色物业" in _tokens.tokenizer().FREQ
    assert "红色物业" not in jieba.dt.FREQ


def test_jieba_logger_level_is_left_as_found():
    assert logging.getLogger("jieba").level in (logging.NOTSET, logging.DEBUG, logging.INFO,
                                               logging.WARNING)
    before = logging.getLogger("jieba").level
    _tokens.tokenize("老旧小区")
    assert logging.getLogger("jieba").level == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加装电梯", ["加装电梯"]),
        ("红色物业进驻小区", ["红色物业", "进驻", "小区"]),
        ("专项债3.5亿元", ["专项债", "<num>", "亿元"]),
        ("打造15分钟生活圈", ["打造", "15分钟生活圈"]),
        ("的了和，。", []),
        ("PPP模式", ["ppp", "模式"]),
    ],
)
def test_tokenize(text, expected):
    assert _tokens.tokenize(text) == expected


def test_lexicon_counts_per_theme():
    assert _tokens.lexicon_counts("专项债和社会资本；加装电梯；物业管理") == [2, 0, 1, 1]


def test_tokenize_pickles_by_reference():
    blob = pickle.dumps(_tokens.tokenize)
    assert len(blob) < 200
    assert pickle.loads(blob) is _tokens.tokenize


def test_token_cache_is_scoped():
    with _tokens.token_cache():
        first = _tokens.tokenize("长效管理机制")
        assert _tokens.tokenize("长效管理机制") is first
    assert _tokens._cache is None


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="must be one of .* got 'thulac'"):
        _tokens.set_backend("thulac")


def test_rjieba_backend_gives_the_same_tokens_on_the_corpus():
    pytest.importorskip("rjieba")
    texts = [renovml.clean(s["text"]) for a in read_corpus(ROOT / "seeds" / "corpus")
             for p in a["paragraphs"] for s in p["sentences"]]
    try:
        expected = [_tokens.tokenize(t) for t in texts]
        _tokens.set_backend("rjieba")
        got = [_tokens.tokenize(t) for t in texts]
    finally:
        _tokens.set_backend("jieba")
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一、总体要求", True),
        ("（三）资金筹措", True),
        ("注重功能完善 加强长效管理", True),
        ("一是提高政治站位，充分认识老旧小区改造工作的重大意义。", False),
        ("区委书记出席会议并讲话。", False),
    ],
)
def test_is_heading(text, expected):
    assert is_heading(text) is expected


def test_context_carries_heading_and_neighbours():
    ctx = with_context([["一、资金筹措"], ["争取专项债。", "引入社会资本。"]], "sentence")
    assert [c["text"] for c in ctx] == ["一、资金筹措", "争取专项债。", "引入社会资本。"]
    assert ctx[1]["heading"] == "一、资金筹措" and ctx[0]["heading"] == ""
    assert ctx[1]["prev"] == "一、资金筹措" and ctx[1]["next"] == "引入社会资本。"
    paras = with_context([["一、资金筹措"], ["争取专项债。", "引入社会资本。"]], "paragraph")
    assert [c["text"] for c in paras] == ["一、资金筹措", "争取专项债。引入社会资本。"]
