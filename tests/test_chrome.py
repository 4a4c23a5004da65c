"""Page chrome: the detector by kind, the article lines it must keep, and the page set's targets."""

import pytest
from pageset import KINDS, read_pages, score

import renovml
from renovml.text import chrome


@pytest.fixture(scope="module")
def pages():
    return read_pages()


def test_page_set_is_well_formed(pages):
    assert len(pages) >= 60
    assert len({p["id"] for p in pages}) == len(pages)
    lines = [line for p in pages for line in p["lines"]]
    kinds = {line["kind"] for line in lines if line["label"] == "chrome"}
    assert sum(line["label"] == "chrome" for line in lines) >= 600
    assert len(kinds) >= 12 and kinds <= set(KINDS)
    for p in pages:
        assert p["source_url"].startswith("http"), p["id"]
        for line in p["lines"]:
            assert line["label"] in ("body", "chrome") and line["text"].strip(), p["id"]
            assert (line["label"] == "chrome") == ("kind" in line), (p["id"], line)


def test_chrome_recall_and_body_loss_meet_the_targets(pages):
    result = score(pages, renovml.clean)
    assert result["body_loss"] <= 0.005, result["dropped"]
    assert result["chrome_recall"] >= 0.97, {k: v[:5] for k, v in result["leaked"].items()}


def test_the_scorer_sees_leaks_and_losses(pages):
    # Cleaning nothing removes no chrome; dropping every line loses the whole body.
    kept_all = score(pages, lambda text: "\n".join(pageset_lines(text)))
    assert kept_all["chrome_recall"] < 0.2 and kept_all["body_loss"] == 0
    assert score(pages, lambda text: "")["body_loss"] == 1.0


def pageset_lines(text):
    from pageset import normalise

    return [normalise(line) for line in text.split("\n")]


@pytest.mark.parametrize("line,kind", [
    ("记者 王某 通讯员 李某", "byline"),
    ("本报记者 沈立峰 通讯员 许 蕾", "byline"),
    ("南方日报记者 陈晓岚 通讯员 梅宣", "byline"),
    ("（大众报业·大众日报客户端记者 于晓明 通讯员 孙 健 报道）", "byline"),
    ("【我要纠错】 责任编辑：许文婷", "byline"),
    ("来源：今日临安", "source"),
    ("本文转载自公众号：北干街道发布", "source"),
    ("2023-05-12 09:30:21", "datetime"),
    ("发布时间：2024-10-25 16:30 来源：柴桑发布", "datetime"),
    ("索引号：11340403003156778X/202106-00019 组配分类：重大决策预公开", "metadata"),
    ("字号：大 中 小 | 打印 | 关闭 | 收藏 | 分享 | 纠错 | 返回顶部 | 微信 | 微博 | QQ空间 | 作者：张三", "byline"),
    ("【打印本页】【关闭窗口】", "toolbar"),
    ("分享到：微信 微博 QQ空间", "share"),
    ("长按识别二维码 关注韶关日报", "share"),
    ("热搜关键词：医用电梯 医院电梯 老旧小区改造 加装电梯", "keyword_list"),
    ("浏览量：4217", "counter"),
    ("阅读 2.1万 点赞 368", "counter"),
    ("图为施工人员在曙光新村内摊铺沥青路面。（记者 许晨阳 摄）", "caption"),
    ("相关新闻", "related"),
    ("上一篇：朝阳区今年计划完成百余部老楼加装电梯", "pagination"),
    ("第A03版：要闻", "pagination"),
    ("发表评论 已有21条评论 请登录后评论", "comment"),
    ("老街坊2019 发表于 2024-11-26 16:40", "forum"),
    ("当前位置：首页 > 新闻中心 > 本地要闻", "breadcrumb"),
    ("首页 > 新闻中心 > 本地要闻", "breadcrumb"),
    ("首页 | 新华要闻 | 街道动态 | 政务公开 | 办事服务 | 互动交流", "navigation"),
    ("地址：南京市北京西路19号 邮编：210024", "contact"),
    ("Copyright © 2025 新闻汇总 版权所有 沪ICP备2023014785号-1", "copyright"),
])
def test_line_kind(line, kind):
    assert chrome.line_kind(line) == kind


@pytest.mark.parametrize("line", [
    "COPYRIGHT 2024 城市更新网 ALL RIGHTS RESERVED",
    "powered by 某某建站系统",
    "All Rights Reſerved 2023",  # long s: re.I matches it to s, so it still counts
    "京icp备12345678号",
])
def test_copyright_in_latin_letters_of_either_case(line):
    # The Latin phrases are matched apart from the Chinese ones, ignoring case, and only in
    # a line with a letter they could match: the same lines as one re.I pattern.
    assert chrome.line_kind(line) == "copyright"


@pytest.mark.parametrize("line", [
    "据市住建局介绍，资金来源包括中央补助和地方配套。",
    "记者从市住建局获悉，今年全市计划改造老旧小区120个。",
    "社区工作人员表示，居民可拨打12345热线反映问题。",
    "分享到居民手中的是实实在在的便利。",
    "一、强化资金保障",
    "（二）完善长效管理",
    "三重价值：民生、城市与治理",
    "文化短板也要补",
    "改造内容包括：",
    "雨污分流、路网打通、环境整治；",
    "老小区“逆生长” 居民幸福感“节节涨”",
])
def test_article_lines_are_not_chrome(line):
    assert chrome.line_kind(line) is None


def test_a_notices_signature_stays():
    page = ["关于老旧小区改造的意见征集公告", "发布时间：2020-06-10 09:12", "各位居民：",
            "我局拟对铁西区12个老旧小区实施综合改造，现征求居民意见。",
            "请于6月20日前将意见反馈至社区居委会。",
            "铁西区住房和城乡建设局", "2020年6月10日", "联系人：赵明 联系电话：0412-5568321",
            "【打印本页】【关闭窗口】", "地址：鞍山市铁西区某某路1号 邮编：114000"]
    kinds = chrome.chrome_kinds(page)
    assert kinds[:1] == [None] and kinds[1] == "datetime"
    assert kinds[5:8] == [None, None, None]
    assert kinds[8] == "toolbar" and kinds[9] == "contact"


def test_headline_lists_after_the_article_go():
    page = ["城市更新让老城区迎来“二次生长”。", "责编：陶妞", "岳塘区思政微课总决赛举行",
            "人气火爆！步步高超市湘潭华隆店调改完成恢复营业", "下载APP"]
    assert chrome.chrome_kinds(page) == [None, "byline", "related", "related", "share"]


def test_empty_body_after_cleaning_is_empty():
    assert renovml.clean("首页 > 新闻中心\n责任编辑：张三\n浏览量：12") == ""
