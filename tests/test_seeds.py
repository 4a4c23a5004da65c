"""The text pipeline on the five real seed articles, as scraped."""

import re

import opencc
import pytest
from conftest import SEED_PATHS

import renovml

T2S = opencc.OpenCC("t2s")
SEEDS = {p.name[:3]: p for p in SEED_PATHS}

CHROME = [
    "责编", "责任编辑", "分享到", "下载APP", "扫一扫", "[下载]", "[打印]", "[关闭]", "字号",
    "浏览量", "请输入验证码", "验证码", "来源：", "信息来源", "政府信息公开", "字体",
]

# Content sentences that must survive cleaning, word for word after t2s conversion.
CONTENT = {
    "000": [
        "全省城镇老旧小区改造工作现场推进会在湘潭召开。",
        "坚持市场运作，发挥老旧小区改造撬动有效投资、畅通内循环的杠杆作用；",
        "进一步推进决策共谋、发展共建、建设共管、资金共筹、效果共评、成果共享",
        "会上，长沙市、衡阳市石鼓区作了经验发言，省发改委、国网湖南电力有限公司作表态发言。",
    ],
    "001": [
        "江汉区召开老旧小区改造工作部署会",
        "重点实施“五改一升”",
        "北湖街红色物业服务站分别就老旧小区改造",
        "三要加强督办，确保实效。",
    ],
    "002": [
        "累计投资31.65亿元，老军营小区、金刚堰小区等老旧小区成为改造样板",
        "要在资金筹措上再下功夫，主动争取上级资金支持，加强与金融机构合作，努力拓宽资金来源渠道。",
        "要在整管结合上再下功夫，统筹综合整治和长效管理",
    ],
    "003": [
        "注重功能完善 加强长效管理 打造老旧小区改造精品工程",
        "继续推行“旧改项目EBR监管体系”",
        "注重长效管理，积极引入物业管理，形成流程规范和激励机制，防止出现问题反弹，持续巩固和深化改造成果。",
    ],
    "004": [
        "重点推进了194个项目，完工项目110个，投资完成率达145%",
        "明确了八个领域196个城市更新建设攻坚项目、年度计划完成投资156亿元。",
        "青岛财经日报/首页新闻记者 李倚慰 通讯员 梁太宏 王霞 赵子健",
    ],
}


@pytest.fixture(scope="module", params=sorted(SEEDS))
def seed(request):
    raw = renovml.read_text(SEEDS[request.param])
    return request.param, raw, renovml.clean(raw)


def test_no_pinyin_annotation_left(seed):
    _, _, text = seed
    assert not re.search(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）]", text)


def test_no_tag_left(seed):
    _, _, text = seed
    assert not re.search(r"<[^<>]*>", text)


def test_text_is_simplified(seed):
    _, _, text = seed
    assert T2S.convert(text) == text


def test_no_chrome_line_left(seed):
    _, _, text = seed
    for line in text.split("\n"):
        for marker in CHROME:
            assert not line.startswith(marker), line


def test_content_sentences_survive(seed):
    name, _, text = seed
    for sentence in CONTENT[name]:
        assert T2S.convert(sentence) in text


def test_clean_is_idempotent_on_seed(seed):
    _, _, text = seed
    assert renovml.clean(text) == text


def test_related_headlines_removed_from_000():
    text = renovml.clean(renovml.read_text(SEEDS["000"]))
    assert "步步高超市" not in text
    assert "盘龙大观园" not in text
    assert "护士执业资格证" not in text


def test_body_of_003_appears_once():
    text = renovml.clean(renovml.read_text(SEEDS["003"]))
    for sentence in CONTENT["003"] + ["昨日下午，区政协“请你来协商老旧小区改造及管理”专题协商会举行。"]:
        assert text.count(sentence) == 1
    assert "杨国正要求，要在要素保障上力求突破。" in text


def test_metadata_of_001_is_kept_apart():
    article = renovml.Article.from_path(SEEDS["001"])
    assert article.metadata["发布机构"] == "江汉区政府办"
    assert article.metadata["发文日期"] == "2020-06-23 17:00"
    assert article.metadata["标题"] == "江汉区召开老旧小区改造工作部署会"
    assert "发布机构" not in article.text
    assert article.text.count("江汉区召开老旧小区改造工作部署会") == 2  # title line + in body


def test_metadata_of_003_is_kept_apart():
    article = renovml.Article.from_path(SEEDS["003"])
    assert article.metadata["来源"] == "今日临安"
    assert article.metadata["日期"] == "2021-08-27 08:44"


def test_doubled_punctuation_of_002_repaired():
    text = renovml.clean(renovml.read_text(SEEDS["002"]))
    assert not re.search("[，、。；][，、。；]", text)
