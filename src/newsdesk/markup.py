"""lxml helpers shared by extraction and normalizing: the text a reader sees, the markup inside."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

import lxml.html
from lxml.html import HtmlElement

from newsdesk.text import clean_text

# What an HTML parser reads as markup: a start or end tag ("<b>", "</p>", "<img src=x>") or a comment.
# "a < b", "5 > 3" and "I <3 NY" hold none and stay text.
MARKUP = re.compile(r"<(?:/?[A-Za-z][^>]*>|!--)")
MAX_MARKUP_LAYERS = 3  # "&amp;lt;b&amp;gt;" is markup escaped twice; nobody escapes a title more often
SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})
BLOCK_TAGS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
        "tr", "td", "th", "table", "blockquote", "section", "article", "header", "footer",
        "figure", "figcaption", "pre", "hr", "address", "aside", "nav", "main",
    }
)  # fmt: skip


def is_hidden(element: HtmlElement) -> bool:
    return element.get("hidden") is not None or element.get("aria-hidden") == "true"


def visible_text(element: HtmlElement) -> str:
    """The text a reader sees: no script/style/template, nothing hidden, <br> and blocks as spaces."""
    return clean_text("".join(_text_parts(element, top=True)))


def _text_parts(element: HtmlElement, top: bool) -> Iterator[str]:
    tag = element.tag if isinstance(element.tag, str) else ""
    skip = not tag or tag in SKIPPED_TAGS or (not top and is_hidden(element))
    if not skip:
        if tag == "br" or tag in BLOCK_TAGS:
            yield " "
        if element.text:
            yield element.text
        for child in element:
            yield from _text_parts(child, top=False)
        if tag in BLOCK_TAGS:
            yield " "
    if not top and element.tail:
        yield element.tail


def inner_html(element: HtmlElement) -> str:
    """The markup inside an element, children serialized with their tails."""
    parts = [element.text or ""]
    parts.extend(lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element)
    return "".join(parts)


def visible_inner_html(element: HtmlElement) -> str:
    """Inner markup without what a reader never sees (hidden elements, scripts, styles, templates)."""
    if not any(_unseen(child) for child in element.iterdescendants()):
        return inner_html(element)  # the common case: nothing to remove, no copy
    clone = copy.deepcopy(element)
    for child in list(clone.iterdescendants()):
        if _unseen(child) and child.getparent() is not None:
            child.drop_tree()
    return inner_html(clone)


def _unseen(element: HtmlElement) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    return not tag or tag in SKIPPED_TAGS or is_hidden(element)


def html_fragment_text(html: str) -> str:
    """Visible text of an HTML fragment (e.g. a sanitized summary)."""
    if not html.strip():
        return ""
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    return visible_text(wrapper)


def title_text(title: str | None, *, is_html: bool = False) -> str:
    """A title as plain text: read as HTML when it holds markup, as browsers and feed readers do (they
    render RSS titles as HTML), so "Open day <script>alert(1)</script>" is "Open day".

    Reading it as HTML decodes character references, which may reveal markup escaped once more
    ("&lt;b&gt;"): that is read too, a few layers deep, and whatever still looks like a tag is dropped,
    so no title published in any format holds markup.
    """
    text = clean_text(title)
    for _ in range(MAX_MARKUP_LAYERS):
        if not (is_html or MARKUP.search(text)):
            break
        text, is_html = html_fragment_text(text), False
    return clean_text(MARKUP.sub("", text))
