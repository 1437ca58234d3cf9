"""The field selector syntax of config.yaml: `css`, `css@attribute`, `@attribute`, `:scope`."""

from __future__ import annotations

import lxml.html
import pytest

from newsdesk.errors import SelectorSyntaxError
from newsdesk.selectors import FieldSelector, parse_field_selector

CARD = lxml.html.fragment_fromstring(
    '<article data-id="7"><h3><a href="/news/1">First</a></h3>'
    '<a href="mailto:x@example.org">mail</a><p class="x">Body</p></article>'
)


@pytest.mark.parametrize(
    ("text", "css", "attribute"),
    [
        ("h3 a@href", "h3 a", "href"),
        ("time@datetime", "time", "datetime"),
        ("img @ src", "img", "src"),
        ("p > a@href", "p > a", "href"),
        ("h3 a", "h3 a", None),
        ("  .news-teaser__title  ", ".news-teaser__title", None),
        ("@href", None, "href"),
        ("@data-id", None, "data-id"),
        (":scope@data-id", None, "data-id"),
        (":scope", None, None),
        ("", None, None),
        ('a[href*="@"]', 'a[href*="@"]', None),
        ('a[href*="@"]@href', 'a[href*="@"]', "href"),
        ("a[title='x@y']", "a[title='x@y']", None),
        ('a:contains("@")', 'a:contains("@")', None),
    ],
)
def test_parse_field_selector(text: str, css: str | None, attribute: str | None) -> None:
    assert parse_field_selector(text) == FieldSelector(css, attribute)


def test_card_itself_matches_the_card() -> None:
    for text in ("", ":scope", "@data-id"):
        assert parse_field_selector(text).matches(CARD) == [CARD]


def test_css_matches_inside_the_card_in_document_order() -> None:
    links = parse_field_selector("a@href").matches(CARD)
    assert [a.get("href") for a in links] == ["/news/1", "mailto:x@example.org"]


def test_at_inside_an_attribute_selector_stays_css_when_matching() -> None:
    matched = parse_field_selector('a[href*="@"]').matches(CARD)
    assert [a.text for a in matched] == ["mail"]


@pytest.mark.parametrize("text", ["div[[", "a[href*=@]", "h3 >", "p:unknown-pseudo", "a@@href"])
def test_invalid_css_raises_quoting_the_selector_as_written(text: str) -> None:
    with pytest.raises(SelectorSyntaxError, match="invalid CSS selector") as caught:
        parse_field_selector(f"  {text} ")
    assert str(caught.value).startswith(f"invalid CSS selector {text!r}: ")  # 'a@@href', not 'a@'


@pytest.mark.parametrize(("text", "attribute"), [("a@", ""), ("a@1x", "1x"), ("a@hr ef", "hr ef")])
def test_invalid_attribute_name_raises_naming_the_selector(text: str, attribute: str) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse_field_selector(text)
    message = str(caught.value)
    assert f"invalid attribute name {attribute!r}" in message
    assert repr(text) in message


def test_selector_syntax_error_is_a_value_error() -> None:
    assert issubclass(SelectorSyntaxError, ValueError)
