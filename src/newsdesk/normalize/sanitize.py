"""Untrusted HTML -> markup safe in any output (nh3, the Rust ammonia sanitizer): no script can survive."""

from __future__ import annotations

import html
import re

import nh3

from newsdesk.normalize.urls import web_link

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "i", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "sub", "sup"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_SPACE = re.compile(r"\s+")
# Block elements the sanitizer removes but whose boundary separates words: "<h3>Title</h3>Body".
_BLOCK_BOUNDARY = re.compile(
    r"(</?(?:div|h[1-6]|table|tr|td|th|section|article|header|footer|figure|figcaption|dd|dt|dl|"
    r"aside|nav|main|address|pre|hr)\b[^>]*>)",
    re.IGNORECASE,
)


def sanitize_html(markup: str, base_url: str) -> str:
    """Keep harmless markup; relative links made absolute, non-http(s) links removed."""

    def absolute_links(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "href":
            return value
        return web_link(value, base_url)

    cleaned = nh3.clean(
        _BLOCK_BOUNDARY.sub(r" \1 ", markup),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
        attribute_filter=absolute_links,
    )
    return _SPACE.sub(" ", cleaned).strip()


def text_to_html(text: str) -> str:
    return html.escape(text, quote=False)
