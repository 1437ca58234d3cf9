"""Text helpers: what a reader sees, and how a cut summary is recognised."""

from __future__ import annotations

import pytest

from newsdesk.markup import title_text
from newsdesk.text import clean_text, comparable, extends, is_truncated, normalize_label, without_ellipsis


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   \n\t ", ""),
        ("plain", "plain"),
        ("  a \n\t b  ", "a b"),
        ("tab\tnew\nline\r\nend", "tab new line end"),
        ("a\u00a0b", "a b"),  # no-break space
        ("a\u202fb", "a b"),  # narrow no-break space (French typography)
        ("a\u3000b", "a b"),  # ideographic space
        ("a\u2028b", "a b"),  # line separator
        ("a\u200bb", "ab"),  # zero-width space
        ("a\u200c\u200db", "ab"),  # zero-width (non-)joiner
        ("a\u2060b", "ab"),  # word joiner
        ("\ufeffTitle", "Title"),  # byte order mark
        ("x\u202eevil\u202c", "xevil"),  # right-to-left override
        ("a\u202ab\u202bc\u202dd", "abcd"),  # embeddings and left-to-right override
        ("a\u2066b\u2067c\u2068d\u2069", "abcd"),  # isolates
        ("a\x00b\x07c\x1bd\x7fe", "abcde"),  # control characters
        ("Cafe\u0301", "Café"),  # NFC: one character for é
        ("  Café  crème ", "Café crème"),
    ],
)
def test_clean_text(text: str | None, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_composes_accents() -> None:
    assert clean_text("e\u0301") == "\u00e9"
    assert len(clean_text("Cafe\u0301")) == 4


def test_labels_compare_case_and_whitespace_insensitively() -> None:
    assert normalize_label("Company\n   |  Innovation") == normalize_label("COMPANY | innovation")
    assert normalize_label("Straße") == normalize_label("STRASSE")
    assert comparable("The  QUICK\u00a0fox") == "the quick fox"


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("The new lab opens...", True),
        ("The new lab opens…", True),
        ("The new lab opens… ", True),
        ("The new lab opens ...\n", True),
        ("The new lab opens.", False),
        ("The new lab opens..", False),
        ("The new lab opens", False),
        ("…and then it opened", False),
        ("", False),
    ],
)
def test_is_truncated(text: str, truncated: bool) -> None:
    assert is_truncated(text) is truncated


def test_without_ellipsis() -> None:
    assert without_ellipsis("The new lab opens ...") == "The new lab opens"
    assert without_ellipsis("The new lab opens…") == "The new lab opens"
    assert without_ellipsis("The new lab opens") == "The new lab opens"


@pytest.mark.parametrize(
    ("full", "cut", "expected"),
    [
        ("The quick brown fox jumps over the dog", "The quick brown…", True),
        ("The quick brown fox jumps over the dog", "The quick brown...", True),
        ("The quick brown fox", "The  QUICK\nbrown ...", True),  # compared as a reader would
        ("The quick brown fox", "The quick br…", True),  # cut mid-word
        ("The quick brown", "The quick brown…", False),  # not longer: nothing gained
        ("The quick", "The quick brown…", False),
        ("Another story entirely", "The quick…", False),
        ("The quick brown fox", "The quick brown", False),  # the short one is not marked as cut
        ("The quick brown fox…", "The quick brown fox jumps", False),
    ],
)
def test_extends(full: str, cut: str, expected: bool) -> None:
    assert extends(full, cut) is expected


@pytest.mark.parametrize("text", ["The new lab opens […]", "The new lab opens [...]"])
def test_wordpress_excerpt_is_truncated(text: str) -> None:
    assert is_truncated(text)


@pytest.mark.parametrize(
    ("title", "is_html", "expected"),
    [
        ("Open day <script>alert(1)</script>", False, "Open day"),  # a browser shows no script's text
        ("Vector 1 <img src=x onerror=alert(1)>", False, "Vector 1"),
        ("Lab <b>news</b> <style>b{}</style>today", False, "Lab news today"),
        ("Call <!-- draft --> for papers", False, "Call for papers"),
        ("a < b and 5 > 3", False, "a < b and 5 > 3"),  # no tag: text as written
        ("I <3 NY", False, "I <3 NY"),
        ("AT&amp;T", False, "AT&amp;T"),  # plain text: "&amp;" is what the source wrote
        ("AT&amp;T", True, "AT&T"),  # HTML (Atom type="html"): a character reference
        ("a &lt; b", True, "a < b"),
        (
            "Twice &lt;script&gt;alert(1)&lt;/script&gt; escaped",
            True,
            "Twice escaped",
        ),  # markup escaped twice
        ("<textarea><img src=x></textarea>After", False, "After"),  # raw text holding markup
        ("  Spaced\n title ", False, "Spaced title"),
        (None, False, ""),
    ],
)
def test_titles_are_the_text_a_reader_sees(title: str | None, is_html: bool, expected: str) -> None:
    assert title_text(title, is_html=is_html) == expected
