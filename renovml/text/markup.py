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
    __slots__ = ("tag", "attrs", "children", "parent", "text_len", "marks", "link_len")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []
        # Filled bottom-up by _measure: the node's text length and sentence marks.
        self.text_len = self.marks = self.link_len = 0


class _TreeBuilder(HTMLParser):
    """A small element tree. End tags close their nearest open element; an end tag with
    no open element of its name is ignored at once (no walk up a deep tree)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {}, None)
        self.current = self.root
        self.open_count: dict[str, int] = {}
        self.skip_depth = 0
        self._skip_tag = None

    def handle_starttag(self, tag, attrs):
        if self.skip_depth:
            if tag in _SKIP or tag == self._skip_tag:
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
            self.open_count[tag] = self.open_count.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if self.skip_depth:
            if tag in _SKIP or tag == self._skip_tag:
                self.skip_depth -= 1
            return
        if not self.open_count.get(tag):
            return
        node = self.current
        while node.tag != tag:  # each element is closed once: linear over the page
            self.open_count[node.tag] -= 1
            node = node.parent
        self.open_count[tag] -= 1
        self.current = node.parent

    def handle_data(self, data):
        if not self.skip_depth and data.strip():
            self.current.children.append(data)


def _walk(root):
    """Every element below ``root`` (itself included), parents before children."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in reversed(node.children) if not isinstance(c, str))


def _measure(root) -> None:
    """Text length and sentence marks of every element, children before parents."""
    for node in reversed(list(_walk(root))):
        length = marks = 0
        for child in node.children:
            if isinstance(child, str):
                length += len(child.strip())
                marks += len(_SENTENCE_MARK.findall(child))
            else:
                length += child.text_len
                marks += child.marks
        node.text_len, node.marks = length, marks


def _text(node) -> str:
    """The text of ``node``, block elements on lines of their own (no recursion)."""
    out: list[str] = []
    stack: list = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        if item is not node and item.tag in _BLOCK:
            out.append("\n")
            stack.append("\n")
        stack.extend(reversed(item.children))
    return "".join(out)


def _score(node) -> tuple[float, int]:
    """(score, text length): sentence-like text in direct children, minus link text."""
    own, links = 0, 0
    for child in node.children:
        if isinstance(child, str):
            own += len(_SENTENCE_MARK.findall(child)) * 10 + len(child.strip())
        elif child.tag in ("p", "br", "span", "font", "strong", "b", "section", "div"):
            own += child.marks * 10 + child.text_len
        elif child.tag == "a":
            links += child.text_len
    return own - 2 * links, own


def _defuse(html: str) -> str:
    """Make a page safe for the parser in one pass: a ``<`` that opens no tag (no ``>``
    before the next ``<``) becomes text, and an unclosed comment runs to the end."""
    out, pos, n = [], 0, len(html)
    while (lt := html.find("<", pos)) != -1:
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 4)
            if end == -1:
                return "".join(out)
            out.append(html[lt:end + 3])
            pos = end + 3
            continue
        gt = html.find(">", lt + 1)
        nxt = html.find("<", lt + 1)
        if gt == -1 or (nxt != -1 and nxt < gt):
            out.append("&lt;")
            pos = lt + 1
            continue
        out.append(html[lt:gt + 1])
        pos = gt + 1
        if pos >= n:
            break
    out.append(html[pos:])
    return "".join(out)


def extract_main_text(html: str) -> str:
    """The main text of an HTML page, one block a line.

    Falls back to the whole body's text when no element stands out. Runs in time
    linear in the page, however deeply its tags nest or however many are unclosed.
    """
    builder = _TreeBuilder()
    builder.feed(_defuse(html))
    builder.close()
    root = builder.root
    _measure(root)
    best, best_score = root, 0.0
    for node in _walk(root):
        if node is root:
            continue
        score, _ = _score(node)
        hints = " ".join(str(node.attrs.get(k) or "") for k in ("id", "class"))
        if hints and _CONTENT_HINT.search(hints):
            score *= 1.25
        if score > best_score:
            best, best_score = node, score
    # The chosen element's parent often splits the body into sibling blocks; take it when
    # the siblings carry sentence text too.
    if best is not root and best.parent is not None and best.parent is not root:
        parent_score, _ = _score(best.parent)
        if parent_score > 0.5 * best_score:
            best = best.parent
    return re.sub(r"\n\s*\n+", "\n", _text(best)).strip()
