"""HTML pages -> article text: parse the page, find its main text, leave the chrome.

Uses the standard library's HTML parser to build a small element tree, then
picks the element whose own paragraphs hold the most sentence-like text and
the least link text (the idea behind readability-style extractors).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["extract_main_text"]

_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select",
         "textarea", "head", "nav", "footer", "aside", "header", "menu"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}
_BLOCK = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
          "section", "article", "blockquote", "dd", "dt", "pre", "table", "ul", "ol", "center",
          "main", "hr"}
_CHROME_HINT = re.compile(r"nav|menu|footer|header|sidebar|comment|share|breadcrumb|related|"
                          r"recommend|copyright|toolbar|ad[s_-]|banner|login", re.I)
_CONTENT_HINT = re.compile(r"article|content|main|text|body|detail|zoom|post|news", re.I)
_SENTENCE_MARK = re.compile("[。！？；，]")


class _Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {}, None)
        self.current = self.root
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if self.skip_depth:
            if tag in _SKIP:
                self.skip_depth += 1
            return
        hints = " ".join(v or "" for k, v in attrs if k in ("id", "class"))
        if tag in _SKIP or (hints and _CHROME_HINT.search(hints)
                            and not _CONTENT_HINT.search(hints)):
            if tag not in _VOID:
                self.skip_depth = 1
                self._skip_tag = tag
            return
        node = _Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_endtag(self, tag):
        if self.skip_depth:
            if tag in _SKIP or tag == getattr(self, "_skip_tag", None):
                self.skip_depth -= 1
            return
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        if not self.skip_depth and data.strip():
            self.current.children.append(data)


def _text(node, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, str):
            out.append(child)
        else:
            if child.tag in _BLOCK:
                out.append("\n")
            _text(child, out)
            if child.tag in _BLOCK:
                out.append("\n")


def _score(node) -> tuple[float, int]:
    """(score, text length): sentence-like text in direct children, minus link text."""
    own, links = 0, 0
    for child in node.children:
        if isinstance(child, str):
            own += len(_SENTENCE_MARK.findall(child)) * 10 + len(child.strip())
        elif child.tag in ("p", "br", "span", "font", "strong", "b", "section", "div"):
            parts: list[str] = []
            _text(child, parts)
            chunk = "".join(parts)
            own += len(_SENTENCE_MARK.findall(chunk)) * 10 + len(chunk.strip())
        elif child.tag == "a":
            parts = []
            _text(child, parts)
            links += len("".join(parts))
    return own - 2 * links, own


def extract_main_text(html: str) -> str:
    """The main text of an HTML page, one block a line; the page's title first if the
    chosen element does not already hold it.

    Falls back to the whole body's text when no element stands out.
    """
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    best, best_score = builder.root, 0.0
    stack = [builder.root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if not isinstance(child, str):
                stack.append(child)
        if node is builder.root:
            continue
        score, _ = _score(node)
        hints = " ".join(str(node.attrs.get(k) or "") for k in ("id", "class"))
        if hints and _CONTENT_HINT.search(hints):
            score *= 1.25
        if score > best_score:
            best, best_score = node, score
    # The chosen element's parent often splits the body into sibling blocks; take it when
    # the siblings carry sentence text too.
    if best is not builder.root and best.parent is not None and best.parent is not builder.root:
        parent_score, _ = _score(best.parent)
        if parent_score > 0.5 * best_score:
            best = best.parent
    parts: list[str] = []
    _text(best, parts)
    return re.sub(r"\n\s*\n+", "\n", "".join(parts)).strip()
