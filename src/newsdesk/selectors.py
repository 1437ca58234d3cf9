"""The field selector syntax of config.yaml: `css`, `css@attribute`, `@attribute`, `:scope` (the card)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from newsdesk.errors import SelectorSyntaxError

ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")
CARD_ITSELF = ("", ":scope")


@dataclass(frozen=True)
class FieldSelector:
    """`css` is None when the field reads the card element itself."""

    css: str | None
    attribute: str | None

    def matches(self, card: HtmlElement) -> list[HtmlElement]:
        """Elements inside `card` this selector picks, in document order; the card itself for :scope."""
        return [card] if self.css is None else select(self.css, card)


def select(css: str, root: HtmlElement) -> list[HtmlElement]:
    return cast(list[HtmlElement], compile_css(css)(root))


@lru_cache(maxsize=1024)
def parse_field_selector(text: str) -> FieldSelector:
    """Split 'h3 a@href' into ('h3 a', 'href'); an '@' inside [...] or quotes belongs to the CSS."""
    css, attribute = text.strip(), None
    at = _trailing_at(css)
    if at is not None:
        css, attribute = css[:at].strip(), css[at + 1 :].strip()
        if not ATTRIBUTE_NAME.match(attribute):
            raise SelectorSyntaxError(f"invalid attribute name {attribute!r} in selector {text!r}")
    if css in CARD_ITSELF:
        return FieldSelector(None, attribute)
    try:
        _compile(css)
    except SelectorError as exc:  # quoted as written: 'a@@href', not the 'a@' left of its last '@'
        raise SelectorSyntaxError(f"invalid CSS selector {text.strip()!r}: {exc}") from exc
    return FieldSelector(css, attribute)


def compile_css(css: str) -> CSSSelector:
    try:
        return _compile(css)
    except SelectorError as exc:
        raise SelectorSyntaxError(f"invalid CSS selector {css!r}: {exc}") from exc


@lru_cache(maxsize=1024)
def _compile(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


def _trailing_at(text: str) -> int | None:
    depth, quote = 0, ""
    last = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "@" and depth == 0:
            last = index
    return last
