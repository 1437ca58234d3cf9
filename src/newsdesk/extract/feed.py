"""Entries of an RSS 0.9x/1.0/2.0, Atom or JSON feed; the only importer of feedparser.

feedparser 6.0 (the released line) has no JSON Feed support, so JSON Feed 1.0/1.1 is read here, and
so is a WordPress site's REST list of posts (`/wp-json/wp/v2/posts`), the feed many themes hide.
"""

from __future__ import annotations

import json
import re
from typing import Any

import feedparser

from newsdesk.errors import ExtractError
from newsdesk.models import Page, RawItem
from newsdesk.normalize.urls import web_link

# feedparser reports these while still parsing the feed correctly (reader treats them the same way).
HARMLESS_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")
# Title types read as markup (Atom type="html" and "xhtml"; feedparser guesses "text/html" for RSS).
HTML_TYPES = ("text/html", "application/xhtml+xml")
# What a page advertises with <link rel="alternate" type=...> for feed readers to find.
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# The start of an HTML document, whatever the Content-Type says (servers send feeds as text/html too).
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
    re.IGNORECASE | re.DOTALL,
)


def extract_feed(page: Page, source: str) -> list[RawItem]:
    if _looks_like_json(page):
        return _json_feed(page, source)
    headers = dict(page.headers)
    headers["content-location"] = page.url
    parsed = feedparser.parse(page.body, response_headers=headers, sanitize_html=True)
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        name = type(problem).__name__
        # HTML entities such as &eacute; are not XML, but feedparser's loose parser reads them well.
        tolerable = "undefined entity" in str(problem) and parsed.entries
        if name not in HARMLESS_BOZO and not tolerable:
            raise _not_a_feed(page, source, f"not a valid feed: {name}: {problem}")
    if not parsed.get("version") and not parsed.entries:
        raise _not_a_feed(page, source, "not a feed (no RSS, Atom or JSON Feed found)")
    return [_entry(entry, source, page.url) for entry in parsed.entries]


def looks_like_feed(page: Page) -> bool:
    """An XML or JSON body rather than an HTML page: worth reading as a feed."""
    head = page.body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_START.match(page.body[:4096]):
        return False
    kind = page.content_type.lower()
    return (
        head[:1] in (b"{", b"[")
        or head.startswith(b"<?xml")
        or head[:5] in (b"<rss ", b"<rss>", b"<feed")
        or ("xml" in kind or "json" in kind)
    )


def _not_a_feed(page: Page, source: str, problem: str) -> ExtractError:
    """An HTML page given as a feed is a config mistake: say how to read it instead."""
    if not _HTML_START.match(page.body[:4096]):
        return ExtractError(source, page.url, problem)
    advertised = advertised_feeds(page, source)
    if advertised:
        advice = f"use the feed it advertises, {advertised[0]}, as its url, or type: html with selectors"
    else:
        advice = "use type: html with selectors (it advertises no feed)"
    return ExtractError(source, page.url, f"an HTML page, not a feed: {advice}")


def advertised_feeds(page: Page, source: str) -> list[str]:
    """The feeds an HTML page names for readers (<link rel="alternate" type="application/rss+xml">),
    absolute, in page order."""
    from newsdesk.extract.html import base_url, parse_html

    try:
        document = parse_html(page, source)
    except ExtractError:
        return []
    base = base_url(document, page.url)
    found: list[str] = []
    for link in document.iter("link"):
        rel = str(link.get("rel") or "").lower().split()
        kind = str(link.get("type") or "").lower().split(";")[0].strip()
        url = web_link(link.get("href"), base) if "alternate" in rel and kind in FEED_TYPES else None
        if url and url not in found and url != page.url:
            found.append(url)
    return found


def _entry(entry: Any, source: str, page_url: str) -> RawItem:
    summary = entry.get("summary")
    contents = entry.get("content") or []
    if contents and len(contents[0].get("value", "")) > len(summary or ""):
        summary = contents[0]["value"]
    labels = []
    for tag in entry.get("tags") or []:
        label = tag.get("label") or tag.get("term")
        if label and label not in labels:
            labels.append(label)
    return RawItem(
        source=source,
        page_url=page_url,
        title=entry.get("title"),
        title_is_html=(entry.get("title_detail") or {}).get("type") in HTML_TYPES,
        # feedparser joined relative links to the feed's URL: "&#106;avascript:" too (web_link drops it).
        link=web_link(entry.get("link"), page_url),
        summary=summary,
        summary_is_html=True,
        categories=tuple(labels),
        date_text=entry.get("published") or entry.get("updated") or entry.get("created"),
        image=web_link(_image(entry), page_url),
        guid=entry.get("id") or None,
    )


def _image(entry: Any) -> str | None:
    for thumbnail in entry.get("media_thumbnail") or []:
        if thumbnail.get("url"):
            return str(thumbnail["url"])
    for media in entry.get("media_content") or []:
        if media.get("url") and str(media.get("medium", media.get("type", ""))).startswith("image"):
            return str(media["url"])
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href"))
    image = entry.get("image")
    if isinstance(image, dict) and image.get("href"):
        return str(image["href"])
    return None


def _looks_like_json(page: Page) -> bool:
    return "json" in page.content_type.lower() or page.body.lstrip()[:1] in (b"{", b"[")


def _json_feed(page: Page, source: str) -> list[RawItem]:
    try:
        data = json.loads(page.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExtractError(source, page.url, f"not a valid JSON Feed: {exc}") from exc
    if isinstance(data, list):
        return _wordpress_posts(data, page, source)
    version = data.get("version", "") if isinstance(data, dict) else ""
    if not str(version).startswith("https://jsonfeed.org/version/"):
        raise ExtractError(source, page.url, "not a JSON Feed (no jsonfeed.org version)")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise ExtractError(source, page.url, "JSON Feed without an items list")
    base = str(data.get("feed_url") or page.url)
    items = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ExtractError(source, page.url, f"JSON Feed item [{index}] is not an object")
        link = entry.get("url") or entry.get("external_url")
        image = entry.get("image") or entry.get("banner_image")
        html = entry.get("content_html") or entry.get("summary")
        text = entry.get("content_text")
        items.append(
            RawItem(
                source=source,
                page_url=page.url,
                title=_text(entry.get("title")),
                link=web_link(str(link), base) if link else None,
                summary=str(html) if html else (str(text) if text else None),
                summary_is_html=bool(html),
                categories=_tags(entry.get("tags")),
                date_text=_text(entry.get("date_published") or entry.get("date_modified")),
                image=web_link(str(image), base) if image else None,
                guid=_text(entry.get("id")),
            )
        )
    return items


def _wordpress_posts(posts: list[Any], page: Page, source: str) -> list[RawItem]:
    """WordPress REST posts: `title.rendered`, `link`, `excerpt.rendered`, `date_gmt` (UTC)."""
    items = []
    for index, post in enumerate(posts):
        if not isinstance(post, dict) or not isinstance(post.get("title"), dict) or not post.get("link"):
            raise ExtractError(
                source, page.url, f"not a WordPress posts list: entry [{index}] has no title or link"
            )
        excerpt: dict[str, Any] = post["excerpt"] if isinstance(post.get("excerpt"), dict) else {}
        date = post.get("date_gmt")
        items.append(
            RawItem(
                source=source,
                page_url=page.url,
                title=_text(post["title"].get("rendered")),
                title_is_html=True,
                link=web_link(str(post["link"]), page.url),
                summary=_text(excerpt.get("rendered")),
                summary_is_html=True,
                date_text=f"{date}Z" if date else _text(post.get("date")),
                guid=_text(
                    post.get("guid", {}).get("rendered") if isinstance(post.get("guid"), dict) else None
                ),
            )
        )
    return items


def _tags(value: Any) -> tuple[str, ...]:
    """JSON Feed tags are a list; a lone string is one tag, not its letters."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(str(tag) for tag in value if tag)
    return ()


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
