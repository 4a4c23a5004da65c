"""Each cleaning step alone, as input -> expected tables, then clean() as a whole."""

import pytest

from renovml import clean
from renovml.text import cleaning as pp


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("<p>老旧小区</p><p>改造</p>", "\n老旧小区\n\n改造\n"),
        ('<legend id="h4sia"></legend><samp id="h4sia"></samp>加装电梯', "\n\n加装电梯"),
        ("<sup id=x></sup>长效<mark>管理</mark>", "长效管理"),
        ("资金&nbsp;共筹&amp;共管", "资金\u00a0共筹&共管"),
        ("&lt;p&gt;物业&lt;/p&gt;", "\n物业\n"),
        ("<script>var a = '<p>';</script>正文", "正文"),
        ("<!-- 注释 -->正文<br/>下一行", "正文\n下一行"),
        ("面积<5%的小区", "面积<5%的小区"),
        ("没有标签", "没有标签"),
    ],
)
def test_strip_html(text_in, expected):
    assert pp.strip_html(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("现(xiàn)场(chǎng)", "现场"),
        ("現(xiàn)場(chǎng)推進(jìn)會(huì)", "現場推進會"),
        ("小區(qū)", "小區"),
        ("我們(men)", "我們"),
        ("推进（tuī）", "推进"),
        ("各县(市、区)", "各县(市、区)"),
        ("投资(PPP)模式", "投资(PPP)模式"),
        ("附件(a)", "附件(a)"),
        ("cafe(xiàn)", "cafe(xiàn)"),
    ],
)
def test_strip_pinyin_annotations(text_in, expected):
    assert pp.strip_pinyin_annotations(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("老舊小區改造", "老旧小区改造"),
        ("長效管理機制", "长效管理机制"),
        ("加装电梯", "加装电梯"),
        ("", ""),
    ],
)
def test_to_simplified(text_in, expected):
    assert pp.to_simplified(text_in) == expected


def test_lone_surrogates_become_replacement_characters():
    # A JSON record can hold half of a character ("\\ud83d" of an emoji cut short): no
    # text, and no encoding has it, so the script conversion would fail on it.
    assert pp.replace_lone_surrogates("老旧\ud83d小区\udfff") == "老旧\ufffd小区\ufffd"
    assert pp.replace_lone_surrogates("老旧😀小区") == "老旧😀小区"
    assert pp.clean("老舊\ud800小區改造。") == "老旧\ufffd小区改造。"
    assert pp.normalize("\udc80加装电梯") == "\ufffd加装电梯"


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("9月25日,全省", "9月25日，全省"),
        ("记者:郭思嘉", "记者：郭思嘉"),
        ("资金;管理", "资金；管理"),
        ("1,000户", "1,000户"),
        ("17:00召开", "17:00召开"),
        ("Python, numpy", "Python, numpy"),
        ("２０２３年ＡＢ", "2023年AB"),
        ("字体: [", "字体：["),
    ],
)
def test_normalize_width(text_in, expected):
    assert pp.normalize_width(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("工作,,听取", "工作,,听取"),  # half-width is normalize_width's job
        ("工作，，听取", "工作，听取"),
        ("市委副书记，、市长", "市委副书记、市长"),
        ("高位谋划、，周密部署", "高位谋划、周密部署"),
        ("盛景，。", "盛景。"),
        ("力度，；聚焦", "力度；聚焦"),
        ("完成。，", "完成。"),
        ("结束。。", "结束。"),
        ("省略……", "省略……"),
        ("好！！", "好！！"),
    ],
)
def test_collapse_doubled_punctuation(text_in, expected):
    assert pp.collapse_doubled_punctuation(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("老旧\u3000小区", "老旧 小区"),
        ("老旧\u00a0\u00a0小区", "老旧 小区"),
        ("加装\u200b电\ufeff梯", "加装电梯"),
        ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
        ("改造 ，完成", "改造，完成"),
        ("记者 李倚慰 通讯员", "记者 李倚慰 通讯员"),
    ],
)
def test_normalize_whitespace(text_in, expected):
    assert pp.normalize_whitespace(text_in) == expected


@pytest.mark.parametrize(
    "line",
    [
        "责编：陶妞",
        "责任编辑：崔现香",
        "来源：岳塘新闻网",
        "信息来源：今日临安",
        "浏览量：",
        "分享到",
        "分享：",
        "下载APP",
        "扫一扫在手机上查看当前页面",
        "[下载] [打印] [关闭]",
        "【打印本页】 【关闭窗口】",
        "字号：大 中 小",
        "字号 : |",
        "字体：[",
        "请输入验证码",
        "打印",
        "]",
        "1.",
        "附件：",
        "政府信息公开",
    ],
)
def test_remove_chrome_lines_drops_chrome(line):
    assert pp.remove_chrome_lines(f"正文第一句。\n{line}\n正文第二句。") == "正文第一句。\n正文第二句。"


@pytest.mark.parametrize(
    "line",
    [
        "来源于群众的意见要认真吸收，分享改造成果。",
        "资金来源：中央补助资金2000万元，地方配套1000万元。",
        "分享到居民手中的是实实在在的便利。",
        "打印出来的改造方案张贴在每个单元门口。",
        "一是加强组织领导。",
        "编辑部的同志们深入小区采访。",
    ],
)
def test_remove_chrome_lines_keeps_content(line):
    text = f"正文第一句。\n{line}\n正文第二句。"
    assert pp.remove_chrome_lines(text) == text


def test_remove_related_headlines_after_chrome():
    text = "\n".join([
        "张迎春表示，湘潭将巩固共同缔造工作模式。",
        "责编：陶妞",
        "来源：岳塘新闻网",
        "岳塘区思政微课总决赛举行",
        "人气火爆！步步高超市调改完成恢复营业",
        "下载APP",
        "分享到",
    ])
    expected = "\n".join([
        "张迎春表示，湘潭将巩固共同缔造工作模式。",
        "责编：陶妞",
        "来源：岳塘新闻网",
        "下载APP",
        "分享到",
    ])
    assert pp.remove_related_headlines(text) == expected


def test_remove_related_headlines_keeps_byline_before_chrome():
    text = "城市更新成果要巩固好。\n青岛财经日报记者 李倚慰 通讯员 梁太宏\n责任编辑：崔现香\n请输入验证码"
    assert pp.remove_related_headlines(text) == text


def test_remove_related_headlines_without_chrome_keeps_everything():
    text = "会议要求加强督办。\n一、总体要求\n二、重点任务"
    assert pp.remove_related_headlines(text) == text


@pytest.mark.parametrize(
    ("text_in", "expected_text", "expected_meta"),
    [
        (
            "文 号 发文日期 2020-06-23 17:00\n发布机构 江汉区政府办 有 效 性 有效\n"
            "标 题 江汉区召开部署会\n正文。",
            "正文。",
            {"发文日期": "2020-06-23 17:00", "发布机构": "江汉区政府办", "有效性": "有效",
             "标题": "江汉区召开部署会"},
        ),
        (
            "日期：\n2021-08-27 08:44\n来源：\n今日临安\n浏览量：\n\n昨日下午，协商会举行。",
            "\n昨日下午，协商会举行。",
            {"日期": "2021-08-27 08:44", "来源": "今日临安"},
        ),
        (
            "更新时间：2020-10-26 15:18 发布时间：2020-06-23 17:00 | 来源：江汉区政府办\n正文。",
            "正文。",
            {"更新时间": "2020-10-26 15:18", "发布时间": "2020-06-23 17:00", "来源": "江汉区政府办"},
        ),
        ("来源于群众，用之于群众。", "来源于群众，用之于群众。", {}),
        ("标题党不可取，要讲实效。", "标题党不可取，要讲实效。", {}),
    ],
)
def test_extract_metadata(text_in, expected_text, expected_meta):
    text, meta = pp.extract_metadata(text_in)
    assert text == expected_text
    assert meta == expected_meta


def test_remove_metadata_header_is_extract_metadata_text():
    text = "发布机构 江汉区政府办\n正文。"
    assert pp.remove_metadata_header(text) == "正文。"


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("部署会标题\n正文一。\n正文第二句。\n部署会标题\n正文一。\n正文第二句。",
         "部署会标题\n正文一。\n正文第二句。"),
        ("观摩现场\n观摩现场\n正文。", "观摩现场\n正文。"),
        ("好。\n好。", "好。\n好。"),  # too short to be a copy worth dropping
    ],
)
def test_drop_duplicate_paragraphs(text_in, expected):
    assert pp.drop_duplicate_paragraphs(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("  第一段  \n\n\n 第二段\n", "第一段\n第二段"),
        ("\n\n", ""),
    ],
)
def test_tidy_lines(text_in, expected):
    assert pp.tidy_lines(text_in) == expected


@pytest.mark.parametrize(
    ("text_in", "expected"),
    [
        ("<p>觀摩現(xiàn)場(chǎng)</p>\n<p>觀摩現(xiàn)場(chǎng)</p>", "观摩现场"),
        ("市委副書記,、市長張新偉,,帶隊督導,。", "市委副书记、市长张新伟，带队督导。"),
        ("正文一句。\n責編:陶妞\n分享到", "正文一句。"),
        ("", ""),
    ],
)
def test_clean(text_in, expected):
    assert clean(text_in) == expected


def test_clean_rejects_bytes():
    with pytest.raises(TypeError, match="expects str, got bytes"):
        clean("老旧小区".encode())


def test_clean_steps_are_public_and_in_all():
    for step in pp.CLEAN_STEPS:
        assert step.__name__ in pp.__all__
