"""First use of the tokenizer and the lexicon from many threads at once."""

import threading
import time

import pytest

from renovml.model import tokens as _tokens

TEXTS = [
    "争取专项债资金和社会资本，加装电梯12部，引入物业服务企业。",
    "成立业主委员会，建立长效管理机制，改造雨污管网。",
    "区委书记主持召开联席会议，压实部门责任。",
    "中央补助资金300万元用于老旧小区改造。",
]
N_THREADS = 8


def _run_together(work):
    """Run ``work(i)`` in N_THREADS threads released together, thread ``i`` starting 5 ms
    after thread ``i - 1`` so that later threads arrive while earlier ones are still setting
    up; return the results and the errors raised."""
    barrier = threading.Barrier(N_THREADS)
    results, errors = [None] * N_THREADS, []

    def run(i):
        try:
            barrier.wait()
            time.sleep(0.005 * i)
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def fresh_lexicon_state(monkeypatch):
    """The lexicon patterns as a new process finds them: not built yet. Looking the lexicon
    up is slowed down so that the threads really do overlap while the patterns are built."""
    expected = [_tokens.lexicon_counts(t) for t in TEXTS]
    real_lexicon = _tokens.lexicon

    def slow_lexicon():
        time.sleep(0.01)
        return real_lexicon()

    monkeypatch.setattr(_tokens, "lexicon", slow_lexicon)
    monkeypatch.setattr(_tokens, "_lexicon_patterns", None)
    return expected


def test_lexicon_counts_first_use_from_many_threads(fresh_lexicon_state):
    results, errors = _run_together(lambda i: [_tokens.lexicon_counts(t) for t in TEXTS])
    assert errors == []
    assert results == [fresh_lexicon_state] * N_THREADS


def test_tokenize_first_use_from_many_threads(fresh_lexicon_state, monkeypatch):
    expected = [_tokens.tokenize(t) for t in TEXTS]
    monkeypatch.setattr(_tokens, "_tokenizer", None)
    results, errors = _run_together(
        lambda i: ([_tokens.tokenize(t) for t in TEXTS], [_tokens.lexicon_counts(t) for t in TEXTS],
                   _tokens.tokenizer()))
    assert errors == []
    assert [r[0] for r in results] == [expected] * N_THREADS
    assert [r[1] for r in results] == [fresh_lexicon_state] * N_THREADS
    assert len({id(r[2]) for r in results}) == 1  # one tokenizer built, shared by all
