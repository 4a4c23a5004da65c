"""Page chrome: which lines of a scraped page are the site's, not the article's.

A line is judged by what it is made of, not by the layout of any one site:

1. **Line by line** (:func:`line_kind`), every line is split into segments at the
   separators sites use between buttons and fields (spaces, ``|``, ``/``, ``·``,
   ``>``…). Role words followed by a name (记者/通讯员/编辑/审核…), dates and
   times, counters (浏览/阅读/点击 + a number), button and channel words, prefixed
   lists (热搜/标签/关键词：…), and phrases that only chrome uses (版权所有, ICP备,
   分享到, 长按识别二维码, 上一篇：…, 发表于…) each mark a segment or a line as
   chrome of a *kind*. A line made only of such segments is chrome. Some kinds
   are *weak*: a bare date, a contact line, a short list of short words — real
   articles have those too (a notice's date and contact line at its end).
2. **In its page** (:func:`chrome_kinds`), the article body is the stretch from
   the first to the last sentence-like line. Weak chrome inside it stays; weak
   chrome before or after it goes, except a notice's signature block (an
   issuing body, a date, a contact line) right after its last sentence. Lists of
   headlines under a 相关新闻/推荐阅读 header, or after the body once the
   closing chrome has begun, are chrome; so are one-line filler replies between
   forum post headers.

Every step scans each line a bounded number of times: linear in the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["KINDS", "chrome_kinds", "is_chrome_line", "line_kind"]

#: The kinds of chrome :func:`line_kind` tells apart.
KINDS = ("navigation", "breadcrumb", "byline", "source", "datetime", "metadata", "toolbar",
         "share", "keyword_list", "counter", "caption", "related", "pagination", "comment",
         "forum", "contact", "copyright")
_WEAK = {"datetime_weak", "contact_weak", "navigation_weak"}

# --- segments ------------------------------------------------------------------------
# Separators between the fields of a chrome line. A run of them is one separator.
_SEPARATORS = re.compile(r"[\s|｜¦丨/／·•●◆◇■□▪►▶→>›»＞<‹«＜\[\]【】〖〗\-—_:：,，、;；()（）]+")
_SENTENCE_END = re.compile("[。！？!?]")
_CLAUSE = re.compile("[，,；;。！？!?]")
_CJK = re.compile("[\u3400-\u9fff]")

_BUTTON_WORDS = frozenset("""
打印 打印本页 打印此页 打印正文 打印文章 关闭 关闭窗口 关闭本页 收藏 收藏本页 加入收藏 分享 分享到 分享至
纠错 我要纠错 返回顶部 返回首页 返回 顶部 回到顶部 字号 字体 文字大小 大 中 小 默认 背景色 视力保护色 保存
保存本页 复制 复制链接 链接 下载 放大 缩小 重置 提交 搜索 朗读 听全文 语音播报 全文朗读 繁体 简体 繁體 簡體
简体中文 繁體中文 繁体中文 簡體中文 无障碍 無障礙 无障碍浏览 长者模式 适老化模式 关怀版 手机版 手机 English
登录 注册 立即注册 找回密码 退出 上一版 下一版 版面导航 返回目录 标题导航 往期回顾 PDF下载 PDF 首页 上一页
下一页 尾页 末页 回复 引用 举报 只看该作者 倒序浏览 正序浏览 使用道具 评分 沙发 板凳 地板 快速回复 返回列表
发新帖 电梯直达 点赞 在看 转发 评论 写留言 留言 阅读原文 微信 微博 QQ QQ空间 QQ好友 朋友圈 新浪微博 腾讯微博
人民微博 今日头条 抖音 快手 钉钉 二维码 网站地图 联系我们 关于我们 网站声明 免责声明 隐私政策 版权声明 广告服务
意见反馈 帮助 RSS 订阅 设为首页 收藏本站 导航 菜单 更多 全部 原创 置顶 精华 热门 推荐 最新 客户端 APP app
扫一扫 扫码 小程序 公众号 视频号 政务微博 政务微信 官方微博 官方微信 网站群 ENGLISH 网站导航 站内搜索 高级搜索
无障碍阅读 适老化 网站搜索 热门搜索 大字体 中字体 小字体 继续访问 放弃 取消 确定 数字报纸 数字报检索 报纸检索 正文 详情 文章详情 资讯 社区
信息公开 政务公开 政府信息公开 办事服务 互动交流 政民互动 走进 新闻 要闻 本地 本地新闻 国内 国际 时政 社会
民生 财经 房产 科技 健康 教育 文旅 体育 娱乐 汽车 视频 直播 图片 专题 专栏 专题专栏 数据 数据开放 机构 评论
数字报 融媒号 论坛 门户 导读 排行榜 生活 旅游 文化 政务 动态 通知公告 公告 乡镇动态 部门动态 领导信息
""".split())

_ROLE = (r"(?:本报|本台|本网|本刊|新华社|央视|特约|实习|见习|融媒体|全媒体|新媒体|网络|责任|首席|驻站)*"
         r"(?:记者|通讯员|作者|编辑|责编|审核|审校|审稿|校对|终审|初审|复审|一审|二审|三审|摄影|摄像|"
         r"图文|图片|视频|文字|撰稿|主编|编审|监制|统筹|出品人|出品|策划|制作|设计|美编|排版|校审|剪辑|"
         r"配音|主播|值班编辑|(?:文|图)(?=\s*[:：/／\s]))")
# A byline: role words each followed by one or a few names, nothing else.
_BYLINE = re.compile(
    rf"^[（(【\[]?\s*(?:原创\s*)?{_ROLE}(?:\s*[/／、&]\s*{_ROLE})*\s*[:：|｜/／]?\s*"
    r"[^，,。！？!?；;]{0,40}$")
_OUTLET = r"(?:[\u3400-\u9fff·]{2,14}?(?:报|台|网|社|客户端|融媒体中心|新闻中心|报业|传媒|发布))"
_BYLINE_OUTLET = re.compile(rf"^[（(【\[]?\s*{_OUTLET}\s*{_ROLE}\s*[:：]?\s*[^，,。！？!?；;]{{0,40}}$")
_BYLINE_BRACKETED = re.compile(r"^[（(][^（()）。！？]{0,60}(?:记者|通讯员)[^（()）。！？]{0,60}[)）]$")
_BYLINE_ANYWHERE = re.compile(rf"{_ROLE}\s*[:：]")
_BYLINE_BODY_WORDS = re.compile("从|获悉|了解到|表示|介绍|说|采访|走访|看到|发现|来到|注意到")
_SOURCE = re.compile(
    r"^[（(【\[]?\s*(?:信息|文章|稿件|消息|本文|新闻|转载)?(?:来源|稿源|出处|来自)\s*[:：]"
    r"|^(?:本文转载自|本文来源于|转载自|转自|原文链接|原文地址|原标题)")
_DATE = (r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
         r"|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月)")
_TIME = r"\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?"
_DATE_KEYS = (r"发布时间|发布日期|更新时间|更新日期|发表时间|发表日期|时间|日期|成文日期|生成日期|"
              r"发文日期|印发日期|发布|发表于|创建时间|录入时间|上传时间")
_HAS_DATE = re.compile(_DATE)
_HAS_TIME = re.compile(_TIME)
_DATE_PART = re.compile(
    rf"{_DATE}|{_TIME}|星期[一二三四五六日天]|周[一二三四五六日天](?![期末])|农历\S{{2,8}}|"
    rf"(?:{_DATE_KEYS})\s*[:：]?")
_COUNTER = re.compile(
    r"(?:浏览量|浏览次数|浏览数|浏览|阅读量|阅读数|阅读次数|阅读|点击数|点击量|点击率|点击|访问量|访问次数|"
    r"查看次数|查看|回复数|回复|评论数|评论|点赞数|点赞|收藏|转发|分享|人气|热度|播放量|播放)"
    r"\s*[:：(（\[]?\s*\d[\d.,]*\s*(?:万|千|次|人)?\s*[)）\]]?"
    r"|\d[\d.,]*\s*万?\s*(?:人|次)?(?:阅读|浏览|参与|点赞|评论|围观|看过|已读)"
    r"|(?:浏览量|浏览次数|阅读量|阅读数|点击数|点击量|访问量|点击|浏览|阅读)\s*[:：]?\s*$")
_KEYWORD_PREFIX = re.compile(
    r"^(?:热搜关键词|热搜词|热搜榜|热搜|热门搜索|热门标签|热门关键词|相关标签|本文标签|文章标签|相关关键词|"
    r"标签|关键词|关键字|Tags?|TAG|热词|热门话题|热点话题|大家都在搜|猜你想搜)\s*[:：]", re.I)
# Copyright and site-registration phrases. The Latin ones are matched ignoring case in a
# pattern of their own, only in a line with a letter they could match (re.I also matches
# the Kelvin sign, long s and dotted/dotless i to ASCII letters): an alternation under
# re.I is scanned without the first-character prefilter, and the Chinese phrases have no
# case, so apart they run several times faster.
_COPYRIGHT_ZH = re.compile(
    r"版权所有|版權所有|©|备案号|備案號|公网安备|公安机关备案|网站标识码|"
    r"网站识别码|即将离开|不代表本网|本网站所刊载|书面授权|是否继续|不代表本站|仅代表作者|本站立场|观点仅代表|主办单位|主办[:：]|承办单位|承办[:：]|协办单位|技术支持|运维单位|运行维护|建议使用.{0,20}浏览器|"
    r"分辨率|互联网新闻信息服务许可证|信息网络传播视听节目许可证|网络文化经营许可证|广播电视节目制作经营|"
    r"本站部分内容|转载请注明|未经授权|未经许可|禁止转载|不得转载|版权声明|免责声明|"
    r"政府网站找错|举报中心|网络举报|不良信息举报|网站地图")
_COPYRIGHT_LATIN = re.compile(r"Copyright|ICP备|ICP證|ICP证|Powered by|All Rights Reserved", re.I)


_LATIN_LETTER = re.compile("[A-Za-z\u017f\u212a\u0130\u0131]")


def _copyright(text: str) -> bool:
    return bool(_COPYRIGHT_ZH.search(text) or (_LATIN_LETTER.search(text)
                                                and _COPYRIGHT_LATIN.search(text)))


_CONTACT_STRONG = re.compile(
    r"邮编|邮政编码|传真|新闻热线|广告热线|广告部|广告合作|客服|投稿|总机|举报电话|举报邮箱|违法和不良|"
    r"网站邮箱|值班电话|商务合作")
_CONTACT = re.compile(
    r"^(?:联系人|联系电话|联系方式|电话|地址|电子邮箱|电子信箱|邮箱|E-?mail|Email|咨询电话|服务热线|热线)"
    r"\s*[:：]", re.I)
_SHARE = re.compile(
    r"分享到|分享至|点击上方|点击蓝字|长按识别|长按二维码|长按扫码|识别二维码|关注我们|关注公众号|阅读原文|"
    r"微信扫一扫|扫一扫在手机|扫一扫用手机|在手机打开|手机扫一扫|下载客户端|打开APP|下载APP|打开客户端|"
    r"转发朋友圈|点个.{0,2}在看|打开.{0,10}APP|下载.{0,10}(?:客户端|APP)|扫描到手机|点赞在看|设为星标|喜欢此内容的人还喜欢|扫码关注|扫码下载|扫描二维码", re.I)
_CAPTION = re.compile(
    r"^[（(]?\s*(?:图为|图片为|上图|下图|左图|右图|组图|资料图|图片来源|图源|视频加载中|点击播放|"
    r"\[图片\]|\[视频\]|!\[|图\s*\d*\s*[:：])|图片来源\s*[:：]"
    r"|(?:\s|[（(]|记者|通讯员|摄影|摄像)[^，,。！？]{0,16}摄\s*[)）]?$|供图\s*[)）]?$|"
    r"摄影报道\s*[)）]?$|\.(?:jpe?g|png|gif|webp|bmp)$|[（(]\s*(?:资料图片?|图片来源[^)）]{0,20}|网络图片|图片源自网络)\s*[)）]$")
_PAGINATION = re.compile(
    r"^(?:<+\s*)?(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上一版|下一版|上一主题|下一主题|上篇|下篇)"
    r"|^第?\s*[A-Z]{0,3}\d+\s*版|^版次\s*[:：]|^共\s*\d+\s*页|^页\s*[:：]|^\d+\s*/\s*\d+\s*页$")
_COMMENT = re.compile(
    r"网友评论|发表评论|我要评论|写评论|写留言|评论区|文明上网|理性发言|请登录后|登录后评论|快来抢沙发|"
    r"条评论|暂无评论|输入验证码|^验证码|发表回复|论坛规定|最新评论|热门评论|全部评论|还没有评论|精选留言|评论仅代表|网友评论仅供|发表你的看法|^(?:姓\s*名|验\s*证\s*码|"
    r"内\s*容|\*\s*内\s*容|\*\s*验\s*证\s*码|联系方式)\s*[:：]\s*$|看不清")
_FORUM = re.compile(
    r"发表于|楼主|只看该作者|倒序浏览|电梯直达|使用道具|查看完整版本|返回列表|快速回复|发新帖|跳转到指定楼层|"
    r"显示全部楼层|本帖最后由|本帖隐藏|隐藏内容|积分\s*\d|帖子\s*\d|注册时间|主题\s*\d|^#?\d+\s*楼|^\d+#|Discuz|沙发$|板凳$|地板$")
_FORUM_FILLER = re.compile(
    r"^(?:顶+|顶一下|顶起|支持+|支持一下|路过|路过看看|mark一下|mark|Mark|赞+|好+|厉害|厉害呀|学习了|围观|"
    r"感谢分享|谢谢分享|不错|不错不错|太好了|点赞|\+1|同意|沙发|板凳|前排)[!！。~～]*$")
_BREADCRUMB = re.compile(r"^(?:当前位置|您的位置|你的位置|您现在的位置|你现在的位置|所在位置|位置)\s*[:：]")
_BREADCRUMB_SEP = re.compile(r"[>›»＞→]")
_RELATED_HEADER = re.compile(
    r"^[【\[]?\s*(?:相关新闻|相关阅读|相关文章|相关链接|相关推荐|相关报道|推荐阅读|往期推荐|往期回顾|往期精彩|"
    r"热点推荐|热门推荐|热门文章|热点新闻|热门新闻|猜你喜欢|延伸阅读|更多新闻|精彩推荐|最新文章|最新新闻|"
    r"点击排行|阅读排行|排行榜|今日推荐|编辑推荐|本版标题导航|标题导航|本版新闻|本期导读|相关专题|专题推荐|"
    r"图片新闻|视频新闻|热点关注|更多精彩|精彩回顾|喜欢此内容的人还喜欢|你可能还喜欢|为你推荐|本版其他文章|"
    r"本版其他|其他文章|相关帖子|相关主题|推荐帖子|相关稿件|关联导读|相关资讯|相关内容|热点资讯|推荐文章)"
    r"\s*[】\]]?\s*[:：>»]?\s*(?:更多\s*[>»]*)?$")
_COMMENT_HEADER = re.compile(r"^(?:网友评论|最新评论|热门评论|全部评论|评论区|精选留言|写留言|发表评论)")
_NAV_START = re.compile(r"^(?:请输入关键[字词]|搜\s*索\s*$|站内搜索)")
_BULLET = re.compile(r"^(?:[·•●◆◇■□▪►▶○◎☆★\-—>»]|\d{1,2}[.、．)）]|[（(]\d{1,2}[)）])\s*")
_TRAILING_DATE = re.compile(rf"\s*[\[（(]?\s*(?:{_DATE}|\d{{1,2}}[-/]\d{{1,2}}|\d{{1,2}}月\d{{1,2}}日)"
                            rf"(?:\s*{_TIME})?\s*[\]）)]?$")
_METADATA = re.compile(
    r"^(?:[·•●◆■▪\-]\s*)?(?:索引号|文号|发文字号|发文机关|发布机构|发布单位|主题分类|组配分类|信息分类|信息类别|"
    r"体裁分类|主题词|公开方式|公开范围|公开时限|公开日期|有效性|效力状态|成文日期|生成日期|所属机构|文件编号|"
    r"统一编号|信件编号|办理单位|回复时间|来信时间|受理单位|信件类型|统一社会信用代码)\s*[:：]")
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?)?\d{7,8}(?!\d)|400-?\d{3}-?\d{4}|1[3-9]\d{9}")
_HOME_FIRST = re.compile(r"^(?:首页|首頁|主页|网站首页)(?:\s|[-/>›»|｜]|$)")
_SITE_NAME = re.compile(r"(?:政府|门户网站|网站|网|日报|晚报|报|发布|融媒|融媒体中心|新闻中心|电视台|广播电视台|"
                        r"厅|部|局|委员会|数字报|论坛|社区)$")
_DEBRIS = re.compile(r"^(?:\d{1,3}|[一二三四五六七八九十]{1,3})[.．、)）]?$|^附件\s*[:：]?$")
_NAME_IN_BRACKETS = re.compile(r"^[（(]\s*(?:[\u3400-\u9fff]{2,4}|完|全文完|本文完)\s*[)）]$|^【完】$")
_SITE_SLOGAN = re.compile(r"^[^\s|｜\-—]{2,12}(?:论坛|网|网站|社区|发布|频道|在线|之家)\s*(?:[|｜]|\s-\s|—)")
_ORG_NAME = re.compile(
    r"^[\u3400-\u9fff（）()]{2,30}(?:局|委员会|委|政府|办事处|街道|社区|公司|指挥部|中心|办公室|厅|部|院|"
    r"集团|小组|居委会|村委会|管委会|工作站|服务站|联合会|协会)$")


_NUMBER = re.compile(r"\d{1,4}")


def _segments(line: str) -> list[str]:
    return [s for s in _SEPARATORS.split(line) if s]


def _is_date_only(line: str) -> bool:
    rest = _DATE_PART.sub("", line)
    return not _SEPARATORS.sub("", rest)


def _segment_is_chrome(segment: str) -> bool:
    if segment in _BUTTON_WORDS:
        return True
    if _DATE_PART.fullmatch(segment) or _COUNTER.fullmatch(segment):
        return True
    return bool(_NUMBER.fullmatch(segment))  # page numbers, counts


@lru_cache(maxsize=16384)  # chrome lines repeat, within a page and across a site's pages
def line_kind(line: str) -> str | None:
    """The kind of chrome a single line is, judged alone, or None for article text.

    Weak kinds (``datetime_weak``, ``contact_weak``, ``navigation_weak``) are lines
    that articles can hold too; :func:`chrome_kinds` decides those by their place.
    """
    text = line.strip()
    if not text:
        return None
    n = len(text)
    if n > 160:
        return None  # running text: no chrome line is this long
    if n > 40 and "。" in text:  # running text: only these kinds of chrome read like it
        if _copyright(text):
            return "copyright"
        if n <= 80 and _CAPTION.search(text):
            return "caption"
        if n <= 80 and _COMMENT.search(text):
            return "comment"
        return None
    if not _CJK.search(text) and not any(ch.isalnum() for ch in text):
        return "toolbar"  # nothing but punctuation and brackets
    if _DEBRIS.match(text):
        return "toolbar"  # a list number or an empty label left by the page's markup
    sentence = bool(_SENTENCE_END.search(text[:-1])) or n > 120
    if n <= 160 and _copyright(text):
        return "copyright"
    if n <= 80 and _CONTACT_STRONG.search(text) and (_CONTACT.search(text) or "：" in text
                                                     or ":" in text):
        return "contact"
    if n <= 60 and _SHARE.search(text) and "。" not in text:
        return "share"
    if n <= 60 and _FORUM.search(text) and not sentence:
        return "forum"
    if n <= 12 and _FORUM_FILLER.match(text):
        return "forum"
    if n <= 80 and _COMMENT.search(text):
        return "comment"
    if _RELATED_HEADER.match(text):
        return "related"
    if n <= 80 and _PAGINATION.search(text):
        return "pagination"
    if _BREADCRUMB.match(text):
        return "breadcrumb"
    crumbs = _BREADCRUMB_SEP.split(text)
    if n <= 100 and len(crumbs) >= 3 and not _CLAUSE.search("".join(crumbs[:-1])) and all(
            len(c.strip()) <= 12 for c in crumbs[:-1]):
        return "breadcrumb"  # the last crumb may be the article's own title
    if _NAME_IN_BRACKETS.match(text):
        return "byline"
    if n <= 120 and _KEYWORD_PREFIX.match(text):
        return "keyword_list"
    if n <= 80 and _CAPTION.search(text):
        return "caption"
    if n <= 70 and _SOURCE.match(text) and not _SENTENCE_END.search(text):
        return "source"
    if n <= 70 and (_BYLINE.match(text) or _BYLINE_OUTLET.match(text)) and not (
            _BYLINE_BODY_WORDS.search(text[:6])):
        return "byline"
    if n <= 80 and _BYLINE_BRACKETED.match(text):
        return "byline"
    if n <= 80 and _METADATA.match(text) and not sentence:
        return "metadata"
    if n <= 60 and _NAV_START.match(text):
        return "navigation"
    segments = _segments(text)
    if n <= 100 and _HAS_DATE.search(text) and not sentence:
        rest = [s for s in segments if not _segment_is_chrome(s)]
        if _is_date_only(text):
            return "datetime" if _HAS_TIME.search(text) else "datetime_weak"
        if len("".join(rest)) <= 14:  # a date with a site name or a field or two around it
            return "datetime"
    if n <= 60 and _COUNTER.search(text) and not sentence and len(
            _CJK.findall(_COUNTER.sub("", text))) <= 4:
        return "counter"
    if n <= 60 and (_CONTACT.match(text) or (_PHONE.search(text) and not sentence
                                              and len(_CJK.findall(text)) <= 8)):
        return "contact_weak"
    if segments and n <= 100 and not _CLAUSE.search(text) and "、" not in text:
        chrome_segments = sum(_segment_is_chrome(s) for s in segments)
        if chrome_segments == len(segments) and (len(segments) >= 2 or len(text) >= 4
                                                 or text[-1] in ":："):
            return "toolbar"
        if _HOME_FIRST.match(text) and len(segments) <= 4 and all(len(s) <= 10 for s in segments):
            return "breadcrumb"
        rest = [s for s in segments if not _segment_is_chrome(s)]
        if chrome_segments and all(_SITE_NAME.search(s) for s in rest):
            return "navigation"
        # A role word and a name after buttons: 【我要纠错】 责任编辑：某某
        m = _BYLINE_ANYWHERE.search(text)
        if m and m.start() and all(_segment_is_chrome(s) for s in _segments(text[:m.start()])):
            return "byline"
        if len(segments) >= 3 and chrome_segments >= 1 and all(len(s) <= 10 for s in segments):
            return "navigation"
        if len(segments) >= 4 and all(len(s) <= 10 for s in segments):
            return "navigation_weak"
    return None


def _is_sentence(line: str) -> bool:
    """An anchor of the article body: a line that reads as running text."""
    text = line.strip()
    # A full stop, or the length of running text; an exclamation alone is a headline's too.
    return "。" in text or len(text) >= 40 or (text.endswith(("；", ";")) and len(text) >= 10)


def _is_headline(line: str) -> bool:
    text = line.strip()
    if len(text) > 80:
        return False
    text = _TRAILING_DATE.sub("", _BULLET.sub("", text))
    return 4 <= len(text) <= 60 and "。" not in text and text.count("，") <= 2


def _blocks(lines: Sequence[str], own: list[str | None]) -> list[str | None]:
    """Lines under a 相关新闻/推荐阅读 header (headlines) or a comment header (short
    comments) belong to the header's block."""
    out = list(own)
    block = None
    for i, line in enumerate(lines):
        kind = own[i]
        if kind == "related" and _RELATED_HEADER.match(line.strip()):
            block = "related"
            continue
        if kind == "comment" and _COMMENT_HEADER.match(line.strip()):
            block = "comment"
            continue
        if kind is not None:
            continue  # other chrome inside a list does not end it
        if block == "related" and _is_headline(line):
            out[i] = "related"
        elif block == "comment" and len(line.strip()) <= 50:
            out[i] = "comment"
        else:
            block = None
    return out


def chrome_kinds(lines: Sequence[str]) -> list[str | None]:
    """The chrome kind of every line of a page (None for article text).

    Parameters
    ----------
    lines : sequence of str
        The page's lines, in order, already normalised (one paragraph a line).

    Returns
    -------
    list
        One entry per line: a kind from :data:`KINDS`, or None.
    """
    own = _blocks(lines, [line_kind(line) for line in lines])
    anchors = [i for i, (line, kind) in enumerate(zip(lines, own))
               if kind is None and _is_sentence(line)]
    first = anchors[0] if anchors else len(lines)
    last = anchors[-1] if anchors else -1
    out: list[str | None] = []
    for i, kind in enumerate(own):
        if kind in _WEAK:
            kind = None if first <= i <= last else kind.removesuffix("_weak")
        elif kind is None and i < first and (_ORG_NAME.match(lines[i].strip())
                                             or _SITE_SLOGAN.match(lines[i].strip())):
            kind = "navigation"  # the site's name (and slogan) above the article
        out.append(kind)

    # The article's own title ends a list of headlines above it: keep the line that runs
    # into the byline, the date line or the first sentence.
    for i in range(min(first, len(lines))):
        if out[i] == "related" and own[i] == "related" and not _RELATED_HEADER.match(lines[i]):
            following = next((k for k in out[i + 1:first + 1] if k != "related"), None)
            if (i + 1 < len(out) and out[i + 1] != "related"
                    and following in (None, "byline", "source", "datetime")):
                out[i] = None
                if len(lines[i].strip()) <= 12 and i and out[i - 1] == "related":
                    out[i - 1] = None  # a short subtitle under the title

    # A notice's signature block right after its last sentence: issuing body, date, contact.
    i = last + 1
    while 0 <= last < i < len(lines):
        text = lines[i].strip()
        if own[i] in _WEAK or (own[i] is None and _ORG_NAME.match(text)):
            out[i] = None
            i += 1
            continue
        break
    signature_end = i

    # Headlines after the body, once its closing chrome has begun, are a list of links.
    tail_started = False
    for i in range(max(last + 1, 0), len(lines)):
        if i >= signature_end and out[i] is not None:
            tail_started = True
        elif out[i] is None and tail_started and _is_headline(lines[i]):
            out[i] = "related"

    # Forum filler: a reply of one short line between two post headers.
    for i in range(1, len(lines) - 1):
        if (out[i] is None and out[i - 1] == "forum" and out[i + 1] in ("forum", "pagination")
                and len(lines[i].strip()) <= 12 and not _CLAUSE.search(lines[i].strip()[:-1])):
            out[i] = "forum"
    return out


def is_chrome_line(line: str) -> bool:
    """Whether a line is chrome on its own (strong kinds only; context is not known)."""
    kind = line_kind(line)
    return kind is not None and kind not in _WEAK
