"""The one place that knows the order of the stages:

    fetch(page) | extract | normalize | dedup + store      (per source: refresh_source)
    store | publish                                       (after the refreshes: run)

Errors of one source become a recorded failure of that source; the others go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from newsdesk.config import Config, SourceConfig
from newsdesk.errors import ExtractError, SourceError
from newsdesk.extract import extract
from newsdesk.fetch import fetch, new_session
from newsdesk.models import Item, StoreResult
from newsdesk.normalize import Normalizer
from newsdesk.publish import PublishReport, publish
from newsdesk.store import Store

log = logging.getLogger("newsdesk")
ACCEPT = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "feed": "application/atom+xml,application/rss+xml,application/feed+json,application/xml;q=0.9,*/*;q=0.5",
    "items": "application/yaml,application/json,text/plain;q=0.9,*/*;q=0.5",
}


def utc_now() -> datetime:
    """Whole seconds: stored and published times need no more, and read better."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class RefreshReport:
    source: str
    pages: int
    result: StoreResult
    errors: tuple[str, ...]
    duration: float

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RunReport:
    refreshes: list[RefreshReport] = field(default_factory=list)
    publish: PublishReport | None = None

    @property
    def failed(self) -> list[RefreshReport]:
        return [report for report in self.refreshes if not report.ok]


def open_store(config: Config, now: datetime) -> Store:
    store = Store(config.database_url, site_host=urlsplit(config.site.url).hostname or "localhost")
    store.create(now)
    return store


def collect(
    config: Config,
    source: SourceConfig,
    *,
    session: requests.Session,
    now: Callable[[], datetime],
) -> tuple[list[Item], dict[str, int], list[SourceError]]:
    """Fetch, extract and normalize every page of a source; nothing is stored here."""
    normalizer = Normalizer.for_source(config, source)
    items: list[Item] = []
    counts: dict[str, int] = {}
    errors: list[SourceError] = []
    for address in source.pages:
        url = config.resolve_address(address)
        try:
            page = fetch(
                url,
                source=source.name,
                settings=config.fetch,
                session=session,
                now=now,
                accept=ACCEPT[source.type],
            )
            raw_items = extract(source, page)
        except SourceError as exc:
            errors.append(exc)
            continue
        found = [
            item for raw in raw_items if (item := normalizer.normalize(raw, page.fetched_at)) is not None
        ]
        counts[url] = len(found)
        items.extend(found)
    return items, counts, errors


def refresh_source(
    config: Config,
    source: SourceConfig,
    store: Store,
    *,
    session: requests.Session,
    now: Callable[[], datetime] = utc_now,
) -> RefreshReport:
    """One refresh of one source; never raises for the source's own failures."""
    started = time.monotonic()
    items, counts, errors = collect(config, source, session=session, now=now)
    before = store.page_item_counts(counts)
    for url, count in list(counts.items()):
        if count == 0 and before.get(url, 0) > 0:
            # Selectors that matched before and match nothing now: the site changed, not the news.
            errors.append(
                ExtractError(source.name, url, f"no items found where {before[url]} were found before")
            )
            del counts[url]
        elif count == 0:
            log.warning("source %r %s: no items found (check the selectors with preview)", source.name, url)
    _log_item_notes(source, items)
    messages = tuple(str(error) for error in errors)
    error_text = "; ".join(messages) or None
    if counts:
        result = store.record_refresh(source.name, items, page_counts=counts, now=now(), error=error_text)
    else:
        store.record_failure(source.name, now=now(), error=error_text or "no page could be read")
        result = StoreResult()
    report = RefreshReport(source.name, len(counts), result, messages, time.monotonic() - started)
    log.info(
        "refresh %s: pages %d, items new %d / updated %d / unchanged %d, %.2fs%s",
        source.name,
        report.pages,
        result.new,
        result.updated,
        result.unchanged,
        report.duration,
        f", error: {error_text}" if error_text else "",
    )
    return report


def _log_item_notes(source: SourceConfig, items: Iterable[Item]) -> None:
    invented: set[str] = set()
    for item in items:
        for category in item.new_categories:
            if category not in invented:
                invented.add(category)
                log.info(
                    "source %r: label not in categories, filed under %r (add it to config.yaml "
                    "to give it a title or an alias)",
                    source.name,
                    category,
                )
        if item.unparsed_date:
            log.warning(
                "source %r: cannot read the date %r of %r; using the time it was first seen",
                source.name,
                item.unparsed_date,
                item.url or item.title,
            )


def run(config: Config, *, now: Callable[[], datetime] = utc_now) -> RunReport:
    """One refresh of every enabled source, then publish every feed from the store."""
    report = RunReport()
    store = open_store(config, now())
    try:
        with new_session(config) as session:
            for source in config.sources:
                if source.enabled:
                    report.refreshes.append(refresh_source(config, source, store, session=session, now=now))
        report.publish = publish(config, store)
        log.info(
            "published %d feed(s), %d unchanged",
            len(report.publish.written),
            len(report.publish.unchanged),
        )
    finally:
        store.close()
    return report
