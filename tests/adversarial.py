"""Adversarial page texts for the text pipeline: each grows to any length and is built to
make a backtracking regular expression or a quadratic scan show itself.

``ADVERSARIAL[name](n)`` returns a text of about ``n`` characters.
"""

from __future__ import annotations

import json
from pathlib import Path

_SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _repeat(unit: str, n: int, tail: str = "") -> str:
    return unit * max(1, (n - len(tail)) // len(unit)) + tail


ADVERSARIAL = {
    # A government site's toolbar with ever more buttons, then a name: nested alternatives.
    "toolbar_buttons": lambda n: _repeat("打印 | 关闭 | 收藏 | 分享 | ", n, "作者：张三"),
    "size_buttons_then_text": lambda n: _repeat("大 ", n, "的"),
    "chrome_words_no_separator": lambda n: _repeat("分享到微信微博QQ空间", n, "的"),
    "separators_and_spaces": lambda n: _repeat(" | / > ", n, "x"),
    "spaces_then_text": lambda n: _repeat(" ", n, "字"),
    "comma_run": lambda n: _repeat("，", n, "字"),
    "mixed_punctuation_run": lambda n: _repeat("，、；：", n, "字"),
    "full_stop_run": lambda n: _repeat("。", n, ""),
    "unclosed_script": lambda n: _repeat("<script>var a = 1;", n, ""),
    "unclosed_comment": lambda n: _repeat("<!-- 注释 ", n, ""),
    "unclosed_tag": lambda n: _repeat("<a href=x ", n, ""),
    "nested_tags": lambda n: _repeat("<div><span>", n, "正文。"),
    "entities": lambda n: _repeat("&amp;", n, "字"),
    "pinyin_openers": lambda n: _repeat("字(xiàn", n, ""),
    "pinyin_letters": lambda n: "字(" + "a" * max(1, n - 2),
    "dates_and_keys": lambda n: _repeat("发布时间：2023-05-12 ", n, "正文"),
    "role_words": lambda n: _repeat("记者 编辑 ", n, "正文。"),
    "metadata_keys": lambda n: _repeat("文 号 ", n, "。"),
    "one_long_line": lambda n: _repeat("老旧小区改造", n, "。"),
    "many_short_lines": lambda n: _repeat("首页\n", n, ""),
    "digits": lambda n: _repeat("1", n, "元"),
}


def ordinary(n: int) -> str:
    """About ``n`` characters of ordinary article text: the seed pages as scraped, then the
    corpus's articles one paragraph a line (repeated only past the corpus's size)."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(_SEEDS.glob("*.txt"))]
    for path in sorted((_SEEDS / "corpus").glob("written_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts.append("\n".join(p["text"] for p in json.loads(line)["paragraphs"]))
    text = "\n".join(parts)
    return (text * (n // len(text) + 1))[:n]
