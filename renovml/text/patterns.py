"""Character classes and compiled regular expressions shared by the text pipeline.

Compiled once at import; every pattern here is cheap to build.
"""

from __future__ import annotations

import re

# CJK unified ideographs (BMP, extension A) and compatibility ideographs.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")

# Sentence terminators and the closers that may follow them.
SENTENCE_END = "。！？；…"
CLOSERS = "”’」』）)》】"
SENTENCE_BOUNDARY = re.compile(f"[{SENTENCE_END}]+[{CLOSERS}]*")
WORD_CHAR = re.compile(f"[{CJK}A-Za-z0-9]")
_W = f"{CJK}A-Za-z0-9"
# Matches wherever a text holds at least four word characters.
FOUR_WORD_CHARS = re.compile(f"[{_W}](?:[^{_W}]*[{_W}]){{3}}")

# --- whitespace -----------------------------------------------------------
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
SPACE_RUN = re.compile(r" {2,}")
BLANK_LINES = re.compile(r"\n{2,}")
# A space next to Chinese punctuation is layout, not content.
_CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u2018-\u201d…"
# Possessive runs started only at a run's first space, so a long run is scanned once.
# A space run before Chinese punctuation (matched from its first space only, possessively)
# and one after it: each starts with a literal, so the engine scans at C speed, linearly.
SPACES_BEFORE_CJK_PUNCT = re.compile(f" (?<!  ) *+(?=[{_CJK_PUNCT}])")
CJK_PUNCT_THEN_SPACES = re.compile(f"([{_CJK_PUNCT}]) ++")

# --- HTML -----------------------------------------------------------------
# Where a script, style or comment starts; where it ends is found with str.find, so an
# unclosed one costs one scan, not one per opening (see cleaning._drop_spans).
RAW_TEXT_START = re.compile(r"<(script|style|noscript)\b|<!--", re.I)
RAW_TEXT_END = {tag: re.compile(f"</{tag}", re.I) for tag in ("script", "style", "noscript")}
BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|tr|td|th|table|h[1-6]|section|article|blockquote|dl|dt|dd|"
    r"header|footer|nav|pre|hr|title|center|address|legend|option|menuitem)\b[^<>]*>",
    re.I,
)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![A-Za-z][^<>]*>|<\?[^<>]*\?>")

# --- pinyin glued to characters: 現(xiàn), 場（chǎng） ----------------------
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_SYLLABLE = f"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouv{_TONED}]{{1,4}}(?:ng|n|r)?"
_ANNOTATION_BODY = (
    f"\\s*(?=[a-z{_TONED}]{{2,}}\\s*[)）]|[a-z]*[{_TONED}])(?:{_SYLLABLE})\\s*[)）]"
)
_ANNOTATION = f"[(（]{_ANNOTATION_BODY}"
# One or more annotations right after an ideograph; all go in one pass, so the step is
# idempotent. The bracket comes first (the ideograph is checked behind it), so the
# engine jumps from bracket to bracket instead of trying every position.
PINYIN_ANNOTATION = re.compile(f"[(（](?<=[{CJK}][(（]){_ANNOTATION_BODY}(?:{_ANNOTATION})*")

# --- punctuation ----------------------------------------------------------
# Half-width marks touching Chinese text: made full-width. Digits on both sides
# (1,000 and 17:00) are left alone.
HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
# One pattern per mark, each replaced by a fixed string: no Python call per match.
HALF_WIDTH_MARK = {
    half: re.compile(f"{re.escape(half)}(?:(?<=[{CJK}“”‘’（）、。，]{re.escape(half)})|(?=[{CJK}“‘（]))")
    for half in HALF_TO_FULL
}
# A comma glued to another mark is scraping debris: ",、" "、," ",。" ",；".
# (Runs of commas are found first and their neighbours checked in code: linear.)
COMMA_RUN = re.compile("，+")
MARKS_BESIDE_COMMA = frozenset("、。；：！？")
COMMA_BESIDE_MARK = re.compile("[、。；：！？]，|，[、。；：！？]")
REPEATED_MARK = re.compile("([，、。；：])\\1+")
FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")

# --- metadata header ---------------------------------------------------------
METADATA_KEYS = (
    "索引号", "文号", "发文字号", "发文日期", "成文日期", "发布日期", "发布时间", "更新时间",
    "发布机构", "发文机关", "主题分类", "有效性", "标题", "日期", "来源", "信息来源", "浏览量",
    "作者",
)
# Keys may be padded with spaces inside (文      号, 有 效 性) in table layouts.
_KEY_ALTERNATION = "|".join(
    r"\s*".join(map(re.escape, key)) for key in sorted(METADATA_KEYS, key=len, reverse=True)
)
METADATA_KEY = re.compile(f"(?:^|(?<=[\\s|｜]))({_KEY_ALTERNATION})(?:\\s*[:：]\\s*|\\s+|$)")
METADATA_LINE_START = re.compile(f"^\\s*(?:{_KEY_ALTERNATION})(?:\\s*[:：]|\\s+|$)")

