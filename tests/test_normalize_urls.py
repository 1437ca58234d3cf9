"""canonical_url: one spelling per address, and nothing but http(s) links."""

from __future__ import annotations

import pytest

from newsdesk.normalize.urls import canonical_url, is_web_url, web_link


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host lowercased, path case kept
        ("HTTP://Example.ORG/News?a=1", "http://example.org/News?a=1"),
        ("https://EXAMPLE.org/Path/CASE", "https://example.org/Path/CASE"),
        # default ports dropped, others kept
        ("http://example.org:80/x", "http://example.org/x"),
        ("https://example.org:443/x", "https://example.org/x"),
        ("https://example.org:8443/x", "https://example.org:8443/x"),
        ("http://example.org:443/x", "http://example.org:443/x"),
        ("http://example.org:8080/", "http://example.org:8080/"),
        # fragment dropped
        ("https://example.org/x#comments", "https://example.org/x"),
        ("https://example.org/x?a=1#top", "https://example.org/x?a=1"),
        # tracking parameters removed, the others kept in order
        (
            "https://example.org/x?utm_source=nl&b=2&UTM_Medium=mail&a=1&fbclid=z&gclid=q&msclkid=m&z=3",
            "https://example.org/x?b=2&a=1&z=3",
        ),
        ("https://example.org/x?utm_campaign=fall", "https://example.org/x"),
        ("https://example.org/x?b=2&a=1", "https://example.org/x?b=2&a=1"),
        ("https://example.org/x?a=1&a=2", "https://example.org/x?a=1&a=2"),
        ("https://example.org/x?q=a+b", "https://example.org/x?q=a+b"),
        ("https://example.org/x?next=/a/b:c", "https://example.org/x?next=/a/b:c"),
        # empty path -> '/'
        ("https://example.org", "https://example.org/"),
        ("https://example.org?x=1", "https://example.org/?x=1"),
        ("https://example.org/x?", "https://example.org/x"),
        # surrounding spaces ignored
        ("  https://example.org/x  ", "https://example.org/x"),
        # non-ASCII percent-encoded, international host in punycode
        ("https://example.org/actualités/été", "https://example.org/actualit%C3%A9s/%C3%A9t%C3%A9"),
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("https://example.org/a%20b", "https://example.org/a%20b"),
        ("https://example.org/x?q=é", "https://example.org/x?q=%C3%A9"),
        ("https://exämple.org/x", "https://xn--exmple-cua.org/x"),
        # IPv6 host keeps its brackets
        ("https://[::1]:8080/x", "https://[::1]:8080/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "mailto:press@example.org",
        "ftp://example.org/file.pdf",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "tel:+33100000000",
        "https://user:secret@example.org/",
        "https://user@example.org/",
        "/relative/path",
        "//example.org/protocol-relative",
        "https://example.org:99999/",
    ],
)
def test_not_a_publishable_web_url(url: str | None) -> None:
    assert canonical_url(url) is None


def test_same_story_spelled_differently_has_one_identity() -> None:
    spellings = [
        "https://example.org/news/1",
        "HTTPS://EXAMPLE.ORG:443/news/1",
        "https://example.org/news/1#read-more",
        "https://example.org/news/1?utm_source=twitter&utm_medium=social",
        "https://example.org/news/1?fbclid=IwAR123",
    ]
    assert {canonical_url(url) for url in spellings} == {"https://example.org/news/1"}


def test_canonical_url_is_stable() -> None:
    once = canonical_url("HTTPS://Example.org:443/été?b=2&utm_source=x&a=1#f")
    assert once == "https://example.org/%C3%A9t%C3%A9?b=2&a=1"
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/", True),
        ("HTTP://example.org/", True),
        ("javascript:x", False),
        ("mailto:a@example.org", False),
        ("/relative", False),
        ("", False),
        (None, False),
    ],
)
def test_is_web_url(url: str | None, expected: bool) -> None:
    assert is_web_url(url) is expected


BASE = "https://site.example/news/"


@pytest.mark.parametrize(
    "href",
    [
        "&#106;avascript:alert(1)",  # a feed's text, where the reference was not decoded
        "&amp;#106;avascript:alert(1)",  # escaped once more
        "&amp#106;avascript:alert(1)",  # as feedparser's loose parser leaves it
        "&#0000106avascript:alert(1)",  # no semicolon, leading zeros: still "j"
        "java&#x09;script:alert(1)",  # a tab inside: the URL parser removes it
        "java\tscript:alert(1)",
        "java&NewLine;script:alert(1)",
        "javascript&colon;alert(1)",
        "  JavaScript:alert(1)",
        "\x01javascript:alert(1)",  # C0 controls around a URL are stripped
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "mailto:press@example.org",
        "",
    ],
)
def test_web_link_drops_what_a_browser_would_not_read_as_http(href: str) -> None:
    assert web_link(href, BASE) is None


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/news/1", "https://site.example/news/1"),
        ("item-2", "https://site.example/news/item-2"),
        (" https://other.example/a?b=1&c=2 ", "https://other.example/a?b=1&c=2"),
        ("//cdn.example/x.jpg", "https://cdn.example/x.jpg"),
        ("R&amp;D:plan", "https://site.example/news/R&amp;D:plan"),  # "R&D" is no scheme
        ("https://example.org/wiki/Special:Random", "https://example.org/wiki/Special:Random"),
    ],
)
def test_web_link_resolves_the_others(href: str, expected: str) -> None:
    assert web_link(href, BASE) == expected


def test_a_script_link_joined_to_a_base_is_not_canonical() -> None:
    """What urljoin made of "&#106;avascript:alert(1)" before it could be read (feedparser does it)."""
    assert canonical_url("https://site.example/news/&#106;avascript:alert(1)") is None
    assert canonical_url("https://site.example/a&b/c:d") == "https://site.example/a&b/c:d"
