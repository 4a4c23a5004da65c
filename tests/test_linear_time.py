"""Every text step runs in time linear in its input, on inputs built to make it slow.

Each adversarial text (tests/adversarial.py) is timed at 10k and 100k characters; the
ratio of the two times must stay far below the 100x of a quadratic step (a ratio, not
an absolute timeout, so a slow machine does not fail it).
"""

import time

import pytest
from adversarial import ADVERSARIAL

import renovml
from renovml.text import CLEAN_STEPS, extract_main_text
from renovml.text.chrome import line_kind

STEPS = {step.__name__: step for step in CLEAN_STEPS}
STEPS.update(clean=renovml.clean, extract_main_text=extract_main_text,
             sentences=lambda text: renovml.sections(renovml.clean(text), "sentence"))
MAX_RATIO = 30  # 10x the input: linear is ~10, quadratic ~100
FLOOR = 0.005  # below this many seconds at 100k characters, any step is fast enough


def _seconds(step, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        line_kind.cache_clear()  # time the work, not the memo of an earlier run
        start = time.perf_counter()
        step(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_every_step_is_linear(kind):
    renovml.clean("預熱(yù)")  # OpenCC's dictionaries load once, outside the timing
    small, large = ADVERSARIAL[kind](10_000), ADVERSARIAL[kind](100_000)
    slow = {}
    for name, step in STEPS.items():
        t_small, t_large = _seconds(step, small), _seconds(step, large)
        if t_large > FLOOR and t_large > MAX_RATIO * max(t_small, 1e-4):
            slow[name] = f"{t_small:.4f}s -> {t_large:.4f}s"
    assert not slow, f"{kind}: super-linear steps {slow}"


def test_the_timing_check_can_fail():
    # A quadratic function must trip the same check the steps pass.
    def quadratic(text):
        return sum(text.count(ch) for ch in text[: len(text) // 10])

    small, large = "ab" * 5_000, "ab" * 50_000
    assert _seconds(quadratic, large) > MAX_RATIO * _seconds(quadratic, small)


@pytest.mark.parametrize("depth", [5_000, 50_000])
def test_deeply_nested_html_gives_text(depth):
    page = "<div><span>" * depth + "老旧小区加装电梯12部。" + "</span>" * 3
    assert extract_main_text(page).endswith("老旧小区加装电梯12部。")
    assert renovml.clean(page) == "老旧小区加装电梯12部。"


@pytest.mark.parametrize("page,expected", [
    ("正文第一句。<!-- 注释没有结束 <p>不见了", "正文第一句。"),
    ("正文第一句。<script>var a = '<p>';", "正文第一句。"),
    ("<p>正文第一句。</p><SCRIPT>x</script ><p>正文第二句。</p>", "正文第一句。\n正文第二句。"),
    ("加装电梯 a < b 与 c <d 的比较。", "加装电梯 a < b 与 c <d 的比较。"),
])
def test_unclosed_markup_runs_to_the_end(page, expected):
    assert renovml.clean(page) == expected


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_scoring_is_linear(kind):
    # The model scores a section's text in one pass (in C where built): no text made to
    # collide in its tables or to repeat n-grams may make it super-linear.
    scorer = renovml.load().scorer
    small, large = ADVERSARIAL[kind](10_000), ADVERSARIAL[kind](100_000)
    score = scorer.clean_section_proba
    t_small, t_large = _seconds(lambda t: score([t]), small), _seconds(lambda t: score([t]), large)
    assert t_large <= FLOOR or t_large <= MAX_RATIO * max(t_small, 1e-4), (
        f"{kind}: {t_small:.4f}s -> {t_large:.4f}s")
