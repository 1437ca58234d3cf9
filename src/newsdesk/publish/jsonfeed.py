"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from the same entries as the Atom feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from newsdesk.models import StoredItem
from newsdesk.publish.atom import FeedInfo

VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(
    info: FeedInfo, entries: Sequence[StoredItem], *, category_titles: dict[str, str]
) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION,
        "title": info.title,
        "home_page_url": info.page_url,
        "feed_url": info.url_for("json"),
        "language": info.language,
        "authors": [{"name": info.author}],
        "items": [_item(entry, info, category_titles) for entry in entries],
    }
    if info.subtitle:
        document["description"] = info.subtitle
    if info.icon_url:
        document["icon"] = document["favicon"] = info.icon_url
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item(entry: StoredItem, info: FeedInfo, category_titles: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.entry_id}
    if entry.url:
        item["url"] = entry.url
    item["title"] = entry.title
    if entry.content_html:  # the article's full text (enrich: content)
        item["content_html"] = entry.content_html
        if entry.summary_text:
            item["summary"] = entry.summary_text
    elif entry.summary_html:
        item["content_html"] = entry.summary_html
        item["summary"] = entry.summary_text
    else:  # 1.1 wants content_html or content_text; an empty one spares readers the title twice
        item["content_text"] = entry.summary_text
    if entry.image:
        item["image"] = entry.image
    if entry.date_from_source:  # undated: no date a reader would take for the story's own
        item["date_published"] = entry.published.isoformat()
    item["date_modified"] = max(entry.updated, entry.published).isoformat()
    if entry.categories:
        item["tags"] = [category_titles.get(category, category) for category in entry.categories]
    if entry.language != info.language:
        item["language"] = entry.language
    return item
