"""sanitize_html: untrusted summaries -> markup safe in any output; html_fragment_text: what a reader sees."""

from __future__ import annotations

import pytest

from newsdesk.markup import html_fragment_text
from newsdesk.normalize.sanitize import sanitize_html, text_to_html

BASE = "https://example.org/news/page.html"


def clean(markup: str) -> str:
    return sanitize_html(markup, BASE)


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Hello <b>bold</b> <i>italic</i> <em>em</em> <strong>strong</strong><br>next</p>",
        "<ul><li>one</li><li>two</li></ul>",
        "<ol><li>first</li></ol>",
        '<a href="https://example.org/a">https</a> <a href="http://example.org/b">http</a>',
        '<a href="https://example.org/a" title="More">titled</a>',
        "<blockquote>quoted</blockquote> <code>x = 1</code>",
        "<p>a &amp; b &lt;c&gt;</p>",
    ],
)
def test_harmless_markup_is_kept(markup: str) -> None:
    assert clean(markup) == markup


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<script>alert(1)</script>after", "after"),
        ("<p>before<script>document.cookie</script></p>", "<p>before</p>"),
        ("<style>p { color: red }</style>text", "text"),
        ('<iframe src="https://evil.example"></iframe>text', "text"),
        ('<img src="photo.jpg" alt="A photo">caption', "caption"),
        ('<p onclick="steal()" onmouseover="x()">para</p>', "<p>para</p>"),
        ('<p style="color:red" class="lead" id="x">para</p>', "<p>para</p>"),
        (
            '<a href="https://example.org/" onclick="x()" target="_blank">link</a>',
            '<a href="https://example.org/">link</a>',
        ),
        ("<!-- a comment --><p>x</p>", "<p>x</p>"),
        ("<div>inside <span>span</span></div>", "inside span"),
        ('<object data="x.swf"></object>t', "t"),
        ('<form action="/login"><input name="p"></form>f', "f"),
        ("<template><p>tpl</p></template>t", "t"),
    ],
)
def test_dangerous_or_foreign_markup_is_removed(markup: str, expected: str) -> None:
    assert clean(markup) == expected


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "  JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "mailto:press@example.org",
        "ftp://example.org/file",
        "&amp;#106;avascript:alert(1)",  # "&#106;avascript:" once parsed: never a relative http link
        "&#0000106avascript:alert(1)",
        "\x01javascript:alert(1)",
    ],
)
def test_non_web_links_lose_their_href_but_keep_their_text(href: str) -> None:
    assert clean(f'<a href="{href}">label</a>') == "<a>label</a>"


@pytest.mark.parametrize(
    ("href", "absolute"),
    [
        ("/events/1", "https://example.org/events/1"),
        ("other.html", "https://example.org/news/other.html"),
        ("../about", "https://example.org/about"),
        ("?page=2", "https://example.org/news/page.html?page=2"),
        ("#top", "https://example.org/news/page.html#top"),
        ("//cdn.example.com/file", "https://cdn.example.com/file"),
        (" /spaced ", "https://example.org/spaced"),
        ("https://other.example/x", "https://other.example/x"),
    ],
)
def test_relative_links_become_absolute_against_the_base(href: str, absolute: str) -> None:
    assert clean(f'<a href="{href}">x</a>') == f'<a href="{absolute}">x</a>'


def test_whitespace_is_collapsed() -> None:
    assert clean("  <p>  lots   of\n\n space </p>\n") == "<p> lots of space </p>"


def test_plain_text_is_escaped_not_interpreted() -> None:
    assert text_to_html("Fish & chips <script>") == "Fish &amp; chips &lt;script&gt;"


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '<img src=x onerror="alert(1)">',
    "<IMG SRC=javascript:alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JAVASCRIPT:alert(1)" onmouseover="alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    '<div style="width: expression(alert(1))">x</div>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
]


# Case-insensitive: none of these may appear in sanitized output.
DANGERS = (
    "<script",
    "javascript:",
    "onerror",
    "onload",
    "onfocus",
    "ontoggle",
    "<iframe",
    "<svg",
    "style=",
    "<img",
    "<object",
    "<embed",
    "<meta",
    "<base",
)


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_script_survives(vector: str) -> None:
    cleaned = clean(vector).lower()
    for danger in DANGERS:
        assert danger not in cleaned, cleaned


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_sanitizing_twice_changes_nothing(vector: str) -> None:
    once = clean(vector)
    assert clean(once) == once


# --- html_fragment_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hello <b>bold</b> world</p>", "Hello bold world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("line one<br>line two", "line one line two"),
        ("<p>a &amp; b &lt;c&gt;</p>", "a & b <c>"),
        ('<a href="https://example.org/">link</a> text', "link text"),
        ("<p>  spaced \n\n out  </p>", "spaced out"),
        ("plain text", "plain text"),
        ("", ""),
        ("   ", ""),
        ("<p>shown</p><script>hidden()</script><style>p{}</style>", "shown"),
        ('<p>shown <span hidden>hidden</span><span aria-hidden="true">icon</span></p>', "shown"),
    ],
)
def test_html_fragment_text_is_the_visible_text(html: str, text: str) -> None:
    assert html_fragment_text(html) == text


def test_sanitized_summary_reads_the_same() -> None:
    summary = '<p>New <a href="/lab">lab</a> opens</p><script>x()</script><img src=a.png>'
    assert html_fragment_text(clean(summary)) == "New lab opens"


# --- behaviour a reader would call wrong --------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<div>First paragraph</div><div>Second</div>", "First paragraph Second"),
        ("<h3>Title</h3>Body", "Title Body"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
    ],
)
def test_removed_blocks_keep_words_apart(markup: str, text: str) -> None:
    assert html_fragment_text(clean(markup)) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [("Intro:<ul><li>a</li></ul>", "Intro: a"), ("Lead<p>para</p>", "Lead para")],
)
def test_text_before_a_block_is_a_separate_word(html: str, text: str) -> None:
    assert html_fragment_text(html) == text
