"""Entries of an RSS 0.9x/1.0/2.0, Atom or JSON feed; the only importer of feedparser.

feedparser 6.0 (the released line) has no JSON Feed support, so JSON Feed 1.0/1.1 is read here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import feedparser

from newsdesk.errors import ExtractError
from newsdesk.models import Page, RawItem

# feedparser reports these while still parsing the feed correctly (reader treats them the same way).
HARMLESS_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")


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
            raise ExtractError(source, page.url, f"not a valid feed: {name}: {problem}")
    if not parsed.get("version") and not parsed.entries:
        raise ExtractError(source, page.url, "not a feed (no RSS, Atom or JSON Feed found)")
    return [_entry(entry, source, page.url) for entry in parsed.entries]


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
        title_is_html=(entry.get("title_detail") or {}).get("type") == "text/html",
        link=entry.get("link"),
        summary=summary,
        summary_is_html=True,
        categories=tuple(labels),
        date_text=entry.get("published") or entry.get("updated") or entry.get("created"),
        image=_image(entry),
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
    return "json" in page.content_type.lower() or page.body.lstrip()[:1] == b"{"


def _json_feed(page: Page, source: str) -> list[RawItem]:
    try:
        data = json.loads(page.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ExtractError(source, page.url, f"not a valid JSON Feed: {exc}") from exc
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
                link=urljoin(base, str(link)) if link else None,
                summary=str(html) if html else (str(text) if text else None),
                summary_is_html=bool(html),
                categories=_tags(entry.get("tags")),
                date_text=_text(entry.get("date_published") or entry.get("date_modified")),
                image=urljoin(base, str(image)) if image else None,
                guid=_text(entry.get("id")),
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
