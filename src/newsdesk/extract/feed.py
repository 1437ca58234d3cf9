"""Entries of an RSS 0.9x/1.0/2.0, Atom or JSON feed; the only importer of feedparser."""

from __future__ import annotations

from typing import Any

import feedparser

from newsdesk.errors import ExtractError
from newsdesk.models import Page, RawItem

# feedparser reports these while still parsing the feed correctly (reader treats them the same way).
HARMLESS_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")


def extract_feed(page: Page, source: str) -> list[RawItem]:
    headers = dict(page.headers)
    headers["content-location"] = page.url
    parsed = feedparser.parse(page.body, response_headers=headers, sanitize_html=True)
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        name = type(problem).__name__
        if name not in HARMLESS_BOZO:
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
