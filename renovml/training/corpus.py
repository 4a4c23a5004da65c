"""The annotation format: reading, validating, hashing and counting a labelled corpus.

A corpus is one or more JSONL files, one article per line::

    {"id": "w1-01", "source_url": "https://...", "title": "...", "date": "2021-06-23",
     "place": {"province": "湖北", "city": "武汉市"}, "genre": "meeting_report",
     "script": "simplified", "origin": "written",
     "paragraphs": [{"text": "S1S2", "labels": ["funding", "governance"],
                     "sentences": [{"text": "S1", "labels": ["funding"]},
                                   {"text": "S2", "labels": ["governance"]}]}]}

A paragraph's text is its sentences joined with nothing between them, and its
labels are the union of its sentences' labels, in the order of :data:`THEMES`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from renovml.errors import CorpusError
from renovml.text.encoding import json_objects
from renovml.themes import THEMES

__all__ = [
    "HARD_CASES",
    "normalize_record",
    "source_groups",
    "source_keys",
    "GENRES",
    "CorpusProblem",
    "corpus_files",
    "corpus_hash",
    "corpus_stats",
    "is_reserved",
    "read_corpus",
    "validate_corpus",
]

GENRES: tuple[str, ...] = (
    "meeting_report", "inspection_tour", "consultation_session", "implementation_plan",
    "policy_interpretation", "resident_notice", "interview", "financing_news",
    "property_management_news", "county_media_report", "wechat_feature",
)
SCRIPTS = ("simplified", "traditional")
ORIGINS = ("seed", "written", "external", "user")
_REQUIRED = ("id", "source_url", "title", "date", "place", "genre", "script", "origin",
             "paragraphs")
# A user's labels (origin "user", what minimal records become) need no metadata: the
# fields present are checked, and a sentence's labels may be null (not labelled).
_REQUIRED_USER = ("id", "origin", "paragraphs")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class CorpusProblem:
    """One violation of the annotation format."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def corpus_files(path: str | os.PathLike) -> list[Path]:
    """The JSONL files of a corpus: ``path`` itself, or every ``*.jsonl`` below it, sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CorpusError(f"{path}: no such corpus file or directory")
    files = sorted(path.rglob("*.jsonl"))
    if not files:
        raise CorpusError(f"{path}: holds no *.jsonl corpus file")
    return files


def read_corpus(path: str | os.PathLike) -> list[dict]:
    """Read every article of a corpus; each gets ``_file`` and ``_line`` for messages.

    Raises
    ------
    CorpusError
        If a line is not valid JSON or not a JSON object.
    """
    articles = []
    for file in corpus_files(path):
        with open(file, encoding="utf-8") as handle:
            for line_no, article in json_objects(handle, file, CorpusError):
                article = normalize_record(article, f"{Path(file).stem}-{line_no}")
                article["_file"], article["_line"] = str(file), line_no
                articles.append(article)
    return articles


def _labels_or_none(labels):
    if labels is None:
        return None
    if isinstance(labels, list) and all(isinstance(x, str) for x in labels) and set(
            labels) <= set(THEMES):
        return sorted(set(labels), key=THEMES.index)
    return labels  # left for the validator to name


def normalize_record(record: dict, default_id: str) -> dict:
    """A corpus record in the full format, from any of the forms the reader accepts.

    Full articles pass through unchanged. Minimal records become articles of origin
    ``"user"``, whose metadata is optional (their source, for grouping, is their id):

    - a labelled section, ``{"text": ..., "labels": [...]}`` (plus any metadata): an
      article of one paragraph of one section;
    - an article given as ``{"sentences": [{"text", "labels"}, ...]}``: one paragraph;
    - an article whose paragraphs have no ``sentences``: each paragraph is one section;
      one whose paragraphs lack ``text`` or ``labels``: they are filled from the
      sentences (labels null when a sentence is not labelled).

    A sentence's ``labels`` may be null in user records: it was not labelled (only what
    an annotator saw counts), unlike ``[]`` (no theme). Labels given in any order are
    put in the order of the themes. The id defaults to ``default_id``.
    """
    if not isinstance(record, dict):
        return record
    if record.get("origin") in ("seed", "written", "external") or (
            "paragraphs" in record and all(k in record for k in _REQUIRED)):
        return record
    out = {k: v for k, v in record.items() if k not in ("text", "labels", "sentences")}
    out.setdefault("id", default_id)
    out.setdefault("origin", "user")
    if "paragraphs" in record:
        paragraphs = record["paragraphs"]
    elif "sentences" in record:
        paragraphs = [{"sentences": record["sentences"]}]
    elif "text" in record:
        paragraphs = [{"sentences": [{"text": record["text"], "labels": record.get("labels")}]}]
    else:
        return out  # the validator names what is missing
    fixed = []
    for paragraph in paragraphs if isinstance(paragraphs, list) else []:
        if not isinstance(paragraph, dict):
            fixed.append(paragraph)
            continue
        paragraph = dict(paragraph)
        if "sentences" not in paragraph and isinstance(paragraph.get("text"), str):
            paragraph["sentences"] = [{"text": paragraph["text"],
                                       "labels": paragraph.get("labels")}]
        sentences = paragraph.get("sentences")
        if isinstance(sentences, list) and all(isinstance(x, dict) for x in sentences):
            sentences = [dict(x, labels=_labels_or_none(x.get("labels"))) for x in sentences]
            paragraph["sentences"] = sentences
            if all(isinstance(x.get("text"), str) for x in sentences):
                paragraph.setdefault("text", "".join(x["text"] for x in sentences))
            if "labels" not in paragraph or paragraph["labels"] is None:
                given = [x["labels"] for x in sentences]
                union = {t for g in given if isinstance(g, list) for t in g if isinstance(t, str)}
                paragraph["labels"] = (None if any(g is None for g in given) else sorted(
                    union, key=lambda t: (t not in THEMES, THEMES.index(t) if t in THEMES
                                          else str(t))))
            else:
                paragraph["labels"] = _labels_or_none(paragraph["labels"])
        fixed.append(paragraph)
    out["paragraphs"] = fixed if isinstance(paragraphs, list) else paragraphs
    return out


def corpus_hash(path: str | os.PathLike) -> str:
    """SHA-256 of a corpus's files (names relative to ``path`` and bytes), in sorted order."""
    path = Path(path)
    digest = hashlib.sha256()
    for file in corpus_files(path):
        name = file.name if path.is_file() else file.relative_to(path).as_posix()
        digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


# --- reserved sources --------------------------------------------------------

@lru_cache(maxsize=1)
def _reserved() -> dict:
    text = resources.files("renovml.resources").joinpath("reserved_sources.json").read_text(
        encoding="utf-8")
    data = json.loads(text)
    return {"urls": set(data["urls"]), "titles": set(data["titles"]),
            "facts": [set(f) for f in data["facts"] if len(f) >= 3]}


_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:万|亿)?(?:元|户|个|部|平方米|栋|人|家|项|台|米|公里)"
                     r"|\d+\.\d+%?|\d+%")


def _h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()[:20]


def _norm_url(url: str) -> str:
    url = re.sub(r"^[a-z]+://", "", url.strip().lower())
    return re.sub(r"^(www|m|big5)\.", "", url).rstrip("/")


# --- sources -------------------------------------------------------------------

HARD_CASES: tuple[str, ...] = (
    "invest_money", "invest_slogan", "property_works", "property_manages", "plan_target",
    "tally", "resident_wish", "commitment", "plain_works", "resident_payment", "preamble",
    "unmanaged_disorder", "headline_slogan")
"""Patterns of ANNOTATION.md's hard cases a sentence may be tagged with (``hard_case``)."""

_GATEWAY = re.compile(r"^[^/]+/gate/big5/")  # big5.example.cn/gate/big5/www.site.cn/...


def _source_url_key(url) -> str:
    if not isinstance(url, str) or not url.strip():
        return ""
    key = _norm_url(url)
    key = _GATEWAY.sub("", key)
    return "url:" + re.sub(r"^(www|m|wap|big5)\.", "", key)


def _source_title_key(title) -> str:
    if not isinstance(title, str):
        return ""
    from renovml.text.cleaning import to_simplified

    key = re.sub(r"[^\w]", "", to_simplified(title)).lower()
    return "title:" + key if len(key) >= 8 else ""  # a short title names no one page


def source_keys(article: dict) -> list[str]:
    """What identifies the public page an article comes from: its address, normalised
    (scheme, ``www.``/``m.`` and Big5 gateways dropped) and its page title, simplified
    and stripped of punctuation. A seed is its own page: its title is the page's title."""
    title = article.get("title") if article.get("origin") == "seed" else article.get(
        "source_title")
    return [k for k in (_source_url_key(article.get("source_url")), _source_title_key(title))
            if k]


def source_groups(articles: Iterable[dict]) -> dict[str, str]:
    """Article id -> its source group: articles sharing a page address or title, directly
    or through another article, share a group, named after the smallest article id in it.
    Folds and threshold tuning split by these groups, so no page's facts are on both sides.
    """
    articles = list(articles)
    parent = {a["id"]: a["id"] for a in articles}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for a in sorted(articles, key=lambda a: a["id"]):
        for key in source_keys(a):
            if key in owner:
                first, mine = find(owner[key]), find(a["id"])
                parent[max(first, mine)] = min(first, mine)
            else:
                owner[key] = a["id"]
    return {a["id"]: "source:" + find(a["id"]) for a in articles}


def is_reserved(url: str = "", title: str = "", text: str = "") -> bool:
    """Whether a public article is held out for independent evaluation.

    Matches the normalized URL, the normalized title, or (given the article's
    text) three or more of the distinctive figures it reports.
    """
    from renovml.text.cleaning import to_simplified

    reserved = _reserved()
    if url and _h(_norm_url(url)) in reserved["urls"]:
        return True
    if title and _h(re.sub(r"[^\w]", "", to_simplified(title)).lower()) in reserved["titles"]:
        return True
    if text:
        mine = {_h(t) for t in _FIGURE.findall(to_simplified(text)) if len(t) >= 3}
        return any(len(mine & facts) >= 3 for facts in reserved["facts"])
    return False


# --- validation ---------------------------------------------------------------

def _check_labels(labels, where: str) -> list[CorpusProblem]:
    if not isinstance(labels, list):
        return [CorpusProblem(where, f"labels must be a list, got {labels!r}")]
    unknown = [x for x in labels if x not in THEMES]
    if unknown:
        return [CorpusProblem(where, f"unknown label(s) {unknown}; expected ids from {THEMES}")]
    if labels != sorted(set(labels), key=THEMES.index):
        return [CorpusProblem(where, f"labels {labels} must be unique and in the order {THEMES}")]
    return []


def _validate_article(article: dict) -> list[CorpusProblem]:
    where = f"{article.get('_file', '?')}:{article.get('_line', '?')} ({article.get('id')})"
    user = article.get("origin") == "user"
    problems = [CorpusProblem(where, f"missing field {key!r}")
                for key in (_REQUIRED_USER if user else _REQUIRED) if key not in article]
    if problems:
        return problems

    def given(key):
        return not user or article.get(key) not in (None, "")

    if given("genre") and article.get("genre") not in GENRES:
        problems.append(CorpusProblem(where, f"genre {article['genre']!r} is not one of {GENRES}"))
    if given("script") and article.get("script") not in SCRIPTS:
        problems.append(CorpusProblem(where, f"script {article['script']!r} is not one of {SCRIPTS}"))
    if article["origin"] not in ORIGINS:
        problems.append(CorpusProblem(where, f"origin {article['origin']!r} is not one of {ORIGINS}"))
    if given("date") and (not isinstance(article.get("date"), str)
                          or not _DATE.match(article["date"])):
        problems.append(CorpusProblem(where, f"date {article['date']!r} is not YYYY-MM-DD"))
    place = article.get("place")
    if given("place") and (not isinstance(place, dict) or not place.get("province")):
        problems.append(CorpusProblem(where, f"place {place!r} must be an object with a province"))
    paragraphs = article["paragraphs"]
    if not isinstance(paragraphs, list) or not paragraphs:
        return problems + [CorpusProblem(where, "paragraphs must be a non-empty list")]
    for p_index, paragraph in enumerate(paragraphs):
        p_where = f"{where} paragraph {p_index}"
        sentences = paragraph.get("sentences") if isinstance(paragraph, dict) else None
        if not isinstance(sentences, list) or not sentences:
            problems.append(CorpusProblem(p_where, "needs a non-empty 'sentences' list"))
            continue
        if not isinstance(paragraph.get("text"), str):
            problems.append(CorpusProblem(p_where, "needs a 'text' string"))
            continue
        bad = False
        for s_index, sentence in enumerate(sentences):
            s_where = f"{p_where} sentence {s_index}"
            if not isinstance(sentence, dict) or not isinstance(sentence.get("text"), str):
                problems.append(CorpusProblem(s_where, "needs a 'text' string"))
                bad = True
                continue
            if not sentence["text"].strip():
                problems.append(CorpusProblem(s_where, "text is empty"))
            if "hard_case" in sentence and sentence["hard_case"] not in HARD_CASES:
                problems.append(CorpusProblem(
                    s_where, f"hard_case {sentence['hard_case']!r} is not one of {HARD_CASES}"))
            if user and sentence.get("labels", "missing") is None:
                continue  # shown to no annotator: not labelled, kept as context
            label_problems = _check_labels(sentence.get("labels"), s_where)
            problems += label_problems
            bad |= bool(label_problems)
        unlabelled = any(isinstance(x, dict) and x.get("labels") is None for x in sentences)
        if user and unlabelled:
            if paragraph.get("labels") is not None:
                problems.append(CorpusProblem(
                    p_where, "labels must be null when a sentence of it is not labelled"))
        else:
            problems += _check_labels(paragraph.get("labels"), p_where)
        if bad:
            continue
        joined = "".join(s["text"] for s in sentences)
        if paragraph["text"] != joined:
            problems.append(CorpusProblem(
                p_where, f"text must equal its sentences joined (join rule): "
                         f"{paragraph['text'][:30]!r}... != {joined[:30]!r}..."))
        if user and unlabelled:
            continue
        union = sorted({x for s in sentences for x in s["labels"]}, key=THEMES.index)
        if paragraph.get("labels") != union:
            problems.append(CorpusProblem(
                p_where, f"labels {paragraph.get('labels')} must be the union of its "
                         f"sentences' labels {union} (union rule)"))
    return problems


def validate_corpus(articles: Iterable[dict], *, check_reserved: bool = True,
                    raise_on_error: bool = True) -> list[CorpusProblem]:
    """Check a corpus against the annotation format.

    Checks the fields and their values, label ids, the union and join rules,
    ``hard_case`` tags, duplicate article ids, the same sentence text in two
    articles (not among a user's own, which may repost each other), two articles
    from one source page (by address or page title, seeds included), and (with
    ``check_reserved``) sources held out for independent evaluation. A user's
    records (origin ``"user"``) need no metadata and may leave sentences unlabelled.

    Returns
    -------
    list of CorpusProblem
        Empty when the corpus is valid (and ``raise_on_error`` is false otherwise).

    Raises
    ------
    CorpusError
        With every problem listed, if there is any and ``raise_on_error``.
    """
    problems: list[CorpusProblem] = []
    ids: dict[str, str] = {}
    sentence_owner: dict[str, str] = {}
    source_owner: dict[str, str] = {}
    for article in articles:
        article_problems = _validate_article(article)
        problems += article_problems
        aid = article.get("id")
        where = f"{article.get('_file', '?')}:{article.get('_line', '?')} ({aid})"
        if aid in ids:
            problems.append(CorpusProblem(where, f"duplicate id {aid!r}, first at {ids[aid]}"))
        else:
            ids[aid] = where
        if check_reserved and article.get("origin") != "seed" and is_reserved(
                url=article.get("source_url") or "", title=article.get("source_title") or ""):
            problems.append(CorpusProblem(
                where, f"source {article.get('source_url')!r} is reserved for independent "
                       "evaluation; base no training text on it"))
        for key in source_keys(article):
            first = source_owner.setdefault(key, aid)
            if first != aid:
                problems.append(CorpusProblem(
                    where, f"comes from the same source page as article {first!r} "
                           f"({key.split(':', 1)[0]} {key.split(':', 1)[1][:60]!r}); "
                           "one page gives one article"))
        if article_problems or article.get("origin") == "user":
            continue  # a user's own articles may repeat each other's sentences (reposts)
        for paragraph in article["paragraphs"]:
            for sentence in paragraph["sentences"]:
                text = sentence["text"].strip()
                owner = sentence_owner.setdefault(text, aid)
                if owner != aid:
                    problems.append(CorpusProblem(
                        where, f"sentence {text[:40]!r} also appears in article {owner!r}"))
    if problems and raise_on_error:
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise CorpusError(f"corpus has {len(problems)} problem(s):\n{shown}{more}")
    return problems


# --- views and counts ---------------------------------------------------------

def corpus_stats(articles: list[dict]) -> dict:
    """Counts for the data card: articles, sections, labels and the corpus's spread.
    Sections that are not labelled (a user's null labels) are not counted."""
    sentences = [s for a in articles for p in a["paragraphs"] for s in p["sentences"]
                 if s.get("labels") is not None]
    per_theme = Counter(x for s in sentences for x in s["labels"])
    n = len(sentences) or 1

    def count(key):
        return dict(sorted(Counter(key(a) for a in articles).items()))

    def place(a):
        return (a.get("place") or {}).get("province") or "unknown"

    return {
        "articles": len(articles),
        "paragraphs": sum(len(a["paragraphs"]) for a in articles),
        "sentences": len(sentences),
        "sentences_per_theme": {t: per_theme.get(t, 0) for t in THEMES},
        "paragraphs_per_theme": {
            t: sum(t in (p.get("labels") or []) for a in articles for p in a["paragraphs"])
            for t in THEMES},
        "no_theme_share": round(sum(not s["labels"] for s in sentences) / n, 4),
        "multi_theme_share": round(sum(len(s["labels"]) > 1 for s in sentences) / n, 4),
        "articles_per_origin": count(lambda a: a["origin"]),
        "articles_per_genre": count(lambda a: a.get("genre") or "unknown"),
        "articles_per_province": count(place),
        "articles_per_year": count(lambda a: (a.get("date") or "unknown")[:4]),
        "articles_per_script": count(lambda a: a.get("script") or "unknown"),
    }
