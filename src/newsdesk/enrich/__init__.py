"""Enrichment: a new story whose card lacks a date, an image or a summary gets it from its article page.

At most one article fetch per new story, never one for a story the store knows: politely (robots.txt,
the host limits, a conditional GET), the answer kept per URL in the store, a failure never failing the
source. A card's own value always wins; a filled one says where it came from (`Item.filled`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import requests

from newsdesk.config import ENRICHED_FIELDS, Config, SourceConfig
from newsdesk.enrich.article import ArticleFacts, Found, read_article
from newsdesk.errors import SourceError
from newsdesk.models import Item

if TYPE_CHECKING:
    from newsdesk.pipeline import Politeness
    from newsdesk.store import Store

log = logging.getLogger("newsdesk")
CACHE_KEY = "article:{url}"


@dataclass
class Enrichment:
    """What one refresh's enrichment did: counted for `preview`, logs and benchmarks."""

    fetched: int = 0  # article pages requested
    not_modified: int = 0
    failed: int = 0
    filled: dict[str, int] = field(default_factory=dict)


def enrich_items(
    config: Config,
    source: SourceConfig,
    items: list[Item],
    *,
    store: Store | None,
    session: requests.Session,
    politeness: Politeness,
    now: Callable[[], datetime],
    report: Enrichment | None = None,
) -> list[Item]:
    """The items, new ones filled from their article pages where their cards lack a wanted field."""
    wanted = source.enrich_fields
    report = report if report is not None else Enrichment()
    candidates = {item.url for item in items if item.url and _lacking(item, wanted)}
    if not candidates:
        return items
    known = store.known_urls(candidates) if store is not None else set()
    facts: dict[str, ArticleFacts | None] = {}
    filled = []
    for item in items:
        url = item.url
        if url and url in candidates and url not in known:
            if url not in facts:
                facts[url] = _article(config, source, url, store, session, politeness, now, report)
            found = facts[url]
            if found is not None:
                item = _fill(item, found, wanted, source, config, report, now())
        filled.append(item)
    return filled


def _lacking(item: Item, wanted: tuple[str, ...]) -> list[str]:
    present = {
        "date": item.published is not None,
        "image": bool(item.image),
        "summary": bool(item.summary_text),
        "content": bool(item.content_html),
    }
    return [name for name in wanted if not present[name]]


def _article(
    config: Config,
    source: SourceConfig,
    url: str,
    store: Store | None,
    session: requests.Session,
    politeness: Politeness,
    now: Callable[[], datetime],
    report: Enrichment,
) -> ArticleFacts | None:
    """The article's facts: asked of the site with the validators of its last answer, read again only
    when it changed. None when it cannot be had (the story keeps what its card gave)."""
    from newsdesk.fetch.http import Validators, fetch
    from newsdesk.pipeline import ACCEPT

    cached = _cached(store, url)
    try:
        if politeness.robots and source.respect_robots:
            politeness.robots.check(url, source=source.name, session=session, limiter=politeness.limiter)
        report.fetched += 1
        with politeness.slot(url):
            page = fetch(
                url,
                source=source.name,
                settings=config.fetch,
                session=session,
                now=now,
                accept=ACCEPT["html"],
                validators=Validators(cached[0], cached[1]) if cached else Validators(None, None),
                allow_private=source.allow_private,
                is_private=politeness.is_private,
            )
        if page.not_modified and cached:
            report.not_modified += 1
            return cached[2]
        facts = read_article(
            page, source.name, language=config.source_language(source), wanted=source.enrich_fields
        )
    except SourceError as exc:
        report.failed += 1
        log.warning(
            "source %r: article %s not read (%s); the story keeps what its card gave",
            source.name,
            url,
            exc.message,
        )
        return None
    _remember(store, url, page.headers.get("etag"), page.headers.get("last-modified"), facts)
    return facts


def _cached(store: Store | None, url: str) -> tuple[str | None, str | None, ArticleFacts] | None:
    if store is None:
        return None
    try:
        text = store.meta(CACHE_KEY.format(url=url))
    except Exception:  # noqa: BLE001 - an unreadable cache only costs a full request
        return None
    if not text:
        return None
    data = json.loads(text)
    facts = ArticleFacts(**{name: Found(**value) if value else None for name, value in data["facts"].items()})
    return data.get("etag"), data.get("last_modified"), facts


def _remember(
    store: Store | None, url: str, etag: str | None, modified: str | None, facts: ArticleFacts
) -> None:
    if store is None or not (etag or modified):
        return
    found = {name: (vars(value) if (value := facts.get(name)) else None) for name in ENRICHED_FIELDS}
    try:
        store.set_meta(
            CACHE_KEY.format(url=url), json.dumps({"etag": etag, "last_modified": modified, "facts": found})
        )
    except Exception:  # noqa: BLE001 - the next new sighting asks again in full
        log.debug("article %s: answer not cached", url)


def _fill(
    item: Item,
    facts: ArticleFacts,
    wanted: tuple[str, ...],
    source: SourceConfig,
    config: Config,
    report: Enrichment,
    at: datetime,
) -> Item:
    from newsdesk.markup import html_fragment_text
    from newsdesk.normalize.dates import parse_date
    from newsdesk.normalize.item import FUTURE_TOLERANCE
    from newsdesk.normalize.sanitize import text_to_html
    from newsdesk.normalize.urls import canonical_url
    from newsdesk.text import clean_text

    changes: dict[str, object] = {}
    origins: list[tuple[str, str]] = list(item.filled)
    for name in _lacking(item, wanted):
        found = facts.get(name)
        if found is None:
            continue
        if name == "date":
            when = parse_date(
                found.value,
                language=config.source_language(source),
                now=at,
                timezone=config.source_zone(source),
            )
            if when is None or when > at + FUTURE_TOLERANCE:
                continue
            changes["published"] = when
            changes["unparsed_date"] = None
        elif name == "image":
            image = canonical_url(found.value)
            if image is None:
                continue
            changes["image"] = image
        elif name == "summary":
            html = text_to_html(clean_text(found.value))
            changes["summary_html"], changes["summary_text"] = html, html_fragment_text(html)
        else:
            changes["content_html"] = found.value  # escaped paragraphs (article._content)
        origins.append((name, found.origin))
        report.filled[name] = report.filled.get(name, 0) + 1
    if not changes:
        return item
    return replace(item, **changes, filled=tuple(origins))  # type: ignore[arg-type]
