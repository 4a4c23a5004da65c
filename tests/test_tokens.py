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


def _tokens_with(backend, texts):
    try:
        _tokens.set_backend(backend)
        return [_tokens.tokenize(t) for t in texts]
    finally:
        _tokens.set_backend("auto")


def test_rjieba_backend_gives_the_same_tokens_on_the_corpus():
    pytest.importorskip("rjieba")
    texts = [renovml.clean(s["text"]) for a in read_corpus(ROOT / "seeds" / "corpus")
             for p in a["paragraphs"] for s in p["sentences"]]
    assert _tokens_with("rjieba", texts) == _tokens_with("jieba", texts)


def _hard_strings() -> list[str]:
    import random

    rng = random.Random(0)
    terms = sorted(_tokens.lexicon())
    numbers = ["3.2亿元", "1,000户", "2023年5月", "12.5%", "99栋", "0.8公里", "3-5层", "1.2万平方米",
               "第3批", "2025—2027年", "10余个", "No.5"]
    latin = ["EBR监管", "PPP模式", "5G基站", "EPC总承包", "APP报修", "wifi全覆盖", "CT室", "A区B栋",
             "LED路灯", "e家园"]
    out = []
    for term in rng.sample(terms, min(300, len(terms))):
        a, b = rng.choice(terms), rng.choice(numbers + latin)
        out += [f"在{term}中", f"{term}{term}", f"{a}{term}", f"{term}{b}", f"{b}{term}，{a}。",
                f"推进{term}和{a}工作"]
    out += [f"{x}{y}" for x in numbers for y in latin] + ["", " ", "。。。", "ＡＢＣ１２３"]
    joined = ["3-5", "e-mail", "COVID-19", "2025-2027年", "--", "3--5", "-5", "5-", "a-b-c",
              "Wi-Fi覆盖", "3.5-4.5米", "ab-12cd", "#3-2", "1+1", "C++", "a_b", "5%-10%", "x.y.z",
              "a.-b", "v1.2.3", "No.12号楼", "1.5.2", "A-1栋", "_a_", "x..y", "3.5%-4%"]
    out += [f"{t}{j}" for t in rng.sample(terms, 20) for j in joined] + joined
    return [renovml.clean(t) for t in out]


def test_rjieba_backend_gives_the_same_tokens_on_hard_strings():
    pytest.importorskip("rjieba")
    texts = _hard_strings()
    assert len(texts) > 1000
    assert _tokens_with("rjieba", texts) == _tokens_with("jieba", texts)


def test_auto_backend_is_rjieba_where_installed():
    pytest.importorskip("rjieba")
    _tokens.set_backend("auto")
    assert _tokens.active_backend() == "rjieba"


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
