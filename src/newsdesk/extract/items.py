"""Hand-written items: a YAML or JSON list of mappings (title, link, summary, category, date, image)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import yaml

from newsdesk.errors import ExtractError
from newsdesk.models import Page, RawItem
from newsdesk.normalize.urls import web_link

KNOWN_KEYS = frozenset({"title", "link", "summary", "category", "categories", "date", "image", "id"})


def extract_item_file(page: Page, source: str) -> list[RawItem]:
    try:
        data = yaml.safe_load(page.body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ExtractError(source, page.url, f"invalid YAML/JSON{where}") from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise ExtractError(source, page.url, "an item file must be a list of items")
    return [_item(entry, index, source, page.url) for index, entry in enumerate(data)]


def _item(entry: Any, index: int, source: str, page_url: str) -> RawItem:
    if not isinstance(entry, dict):
        raise ExtractError(source, page_url, f"item [{index}] must be a mapping")
    unknown = sorted(set(map(str, entry)) - KNOWN_KEYS)
    if unknown:
        raise ExtractError(source, page_url, f"item [{index}]: unknown key {unknown[0]!r}")
    if not entry.get("title"):
        raise ExtractError(source, page_url, f"item [{index}]: title is required")
    labels = entry.get("categories", entry.get("category")) or []
    if isinstance(labels, str):
        labels = [labels]
    link = entry.get("link")
    date = entry.get("date")
    return RawItem(
        source=source,
        page_url=page_url,
        title=str(entry["title"]),
        link=web_link(str(link), page_url) if link else None,
        summary=str(entry["summary"]) if entry.get("summary") else None,
        summary_is_html=True,
        categories=tuple(str(label) for label in labels),
        date_text=_date_text(date),
        image=web_link(str(entry["image"]), page_url) if entry.get("image") else None,
        guid=str(entry["id"]) if entry.get("id") else None,
    )


def _date_text(value: Any) -> str | None:
    """YAML reads an unquoted 2026-11-12 as a date; give normalize the text form either way."""
    if value is None or value == "":
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
