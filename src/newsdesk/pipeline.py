"""The one place that knows the order of the stages:

    robots | fetch(page, conditional) | extract | normalize              (gather_source: in parallel)
      | store: lookup | decide | apply, one transaction under the write lock  (apply_gathered: in order)
    store: forced merges | publish                                 (publish_changes, after refreshes)

`newsdesk run` and the daemon both call refresh_source; errors of one source become a recorded
failure of that source and the others go on.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from newsdesk.clock import utc_now
from newsdesk.config import Config, SourceConfig
from newsdesk.errors import (
    DatabaseError,
    ExtractError,
    FetchError,
    GoneError,
    LimitsUnavailable,
    NoItemsError,
    RetryLaterError,
    SourceError,
    StoreError,
)
from newsdesk.fetch.http import Validators, fetch, host_is_private, new_session, user_agent
from newsdesk.fetch.politeness import HostLimiter, Limiter, host_of
from newsdesk.fetch.robots import RobotsCache
from newsdesk.models import Item, Page, PageMemo, RawItem, SourceState, StoreResult
from newsdesk.normalize.images import without_shared_image
from newsdesk.parsing import Parsed, Parsers
from newsdesk.publish import PublishReport
from newsdesk.publish.manifest import is_current, output_state, remember
from newsdesk.schedule import disabled_by_gone, next_due
from newsdesk.store import Store, store_failure
from newsdesk.store.opening import open_store

if TYPE_CHECKING:
    from newsdesk.normalize.item import Normalizer

log = logging.getLogger("newsdesk")
RANKS_PER_SOURCE = 1_000_000  # more cards than any source gives in one refresh
ACCEPT = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "auto": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "feed": (
        "application/atom+xml,application/rss+xml,application/feed+json,application/xml;q=0.9,*/*;q=0.5"
    ),
    "items": "application/yaml,application/json,text/plain;q=0.9,*/*;q=0.5",
}


@dataclass(frozen=True)
class RefreshReport:
    source: str
    pages: int
    result: StoreResult
    errors: tuple[str, ...]
    duration: float
    not_modified: int = 0
    moved: tuple[tuple[str, str], ...] = ()
    skipped: bool = False

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


@dataclass
class Collected:
    """What the pages of one source gave, before anything is stored."""

    items: list[Item] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    memos: dict[str, PageMemo] = field(default_factory=dict)
    cards: int = 0  # cards or entries found, clones included (preview shows it)
    found: list[RawItem] = field(default_factory=list)  # as extraction gave them (preview's selector counts)
    not_modified: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    unmatched: list[Page] = field(default_factory=list)  # pages read where the selectors found nothing
    recipes: dict[str, str] = field(default_factory=dict)  # type: auto, per page: how it was read


class Sessions:
    """One requests.Session per thread (a Session is not safe to share across threads)."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = new_session(self._config)
            self._local.session = session
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()
            self._all.clear()


@dataclass
class Politeness:
    """The shared, thread-safe pieces every refresh goes through."""

    limiter: Limiter | None = None
    robots: RobotsCache | None = None
    is_private: Callable[[str], bool] | None = None  # tests name which loopback hosts count as public

    @classmethod
    def for_config(cls, config: Config, *, store: Store | None, now: Callable[[], datetime]) -> Politeness:
        return cls(
            limiter=HostLimiter(config.fetch.per_host, config.fetch.host_delay),
            robots=RobotsCache(agent=user_agent(config), settings=config.fetch, now=now, store=store),
        )

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        is_web = urlsplit(url).scheme in ("http", "https")
        with self.limiter.slot(url) if self.limiter and is_web else nullcontext():
            yield


def body_digest(body: bytes) -> str:
    """Same bytes, same digest: an unchanged page without validators is recognised and not parsed."""
    return hashlib.sha256(body).hexdigest()


@dataclass
class PageReading:
    """One page of a source as read: fetched (or not modified, or failed), then extracted and normalized."""

    url: str
    page: Page | None = None
    error: SourceError | None = None
    unchanged: bool = False  # a 304, or the same bytes as the last reading: nothing is parsed
    memo: PageMemo = field(default_factory=PageMemo)
    found: list[RawItem] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    cards: int = 0
    recipe: str | None = None


def read_page(
    config: Config,
    source: SourceConfig,
    url: str,
    *,
    session: requests.Session,
    now: Callable[[], datetime],
    politeness: Politeness,
    memo: PageMemo,
    normalizer: Callable[[], Normalizer],
    parsers: Parsers,
) -> PageReading:
    """robots | fetch (conditional) | extract | normalize, for one page; errors become the reading's."""
    reading = PageReading(url)
    try:
        is_web = urlsplit(url).scheme in ("http", "https")
        if politeness.robots and is_web and source.type in ("html", "auto") and source.respect_robots:
            politeness.robots.check(url, source=source.name, session=session, limiter=politeness.limiter)
        rendered = source.render == "browser"  # a script's page: its HTML stays the same while news change
        with politeness.slot(url):
            page = fetch(
                url,
                source=source.name,
                settings=config.fetch,
                session=session,
                now=now,
                accept=ACCEPT[source.type],
                validators=Validators(None, None) if rendered else Validators(memo.etag, memo.last_modified),
                allow_private=source.allow_private,
                is_private=politeness.is_private,
            )
        reading.page = page
        body_hash = None if page.not_modified else body_digest(page.body)
        if (page.not_modified or body_hash == memo.body_hash) and not rendered:
            reading.unchanged = True  # nothing changed: no parsing at all
            return reading
        reading.memo = PageMemo(page.headers.get("etag"), page.headers.get("last-modified"), body_hash)
        parsed = parse_or_render(config, source, page, normalizer, parsers=parsers, politeness=politeness)
    except SourceError as exc:
        reading.error = exc
        return reading
    except LimitsUnavailable as exc:  # the workers' shared limits: no request without them
        reading.error = FetchError(source.name, url, f"not fetched: {exc}")
        return reading
    reading.found, reading.items, reading.cards = parsed.found, parsed.items, parsed.cards
    reading.recipe = parsed.recipe
    return reading


def parse_or_render(
    config: Config,
    source: SourceConfig,
    page: Page,
    normalizer: Callable[[], Normalizer],
    *,
    parsers: Parsers,
    politeness: Politeness,
) -> Parsed:
    """The page's items; for `render: browser`, when its HTML gives none (no cards, no data in it),
    the DOM Chromium builds from it. A browser is started only then."""
    try:
        parsed: Parsed | None = parsers.parse(source, page, normalizer)
    except ExtractError:
        if source.render != "browser":
            raise
        parsed = None
    if parsed is not None and (source.render != "browser" or parsed.items):
        return parsed
    return parsers.parse(source, rendered_page(config, source, page, politeness), normalizer)


def rendered_page(config: Config, source: SourceConfig, page: Page, politeness: Politeness) -> Page:
    """The page as Chromium builds it (its DOM after its scripts ran), as a Page like any other."""
    from newsdesk.fetch.browser import RenderJob, shared_browser

    def allowed(address: str) -> bool:
        scheme = urlsplit(address).scheme
        if scheme in ("data", "blob", "about"):
            return True
        if scheme not in ("http", "https"):
            return False
        if source.allow_private or host_of(address) == host_of(page.url):
            return True  # the maintainer named this host; its own requests stay there
        private = politeness.is_private or host_is_private
        return not private(urlsplit(address).hostname or "")

    job = RenderJob(page.url, user_agent(config), config.fetch.timeout, config.fetch.max_bytes, allowed)
    with politeness.slot(page.url):
        html = shared_browser().render(job, source=source.name)
    headers = {**page.headers, "content-type": "text/html; charset=utf-8"}
    return replace(page, body=html.encode("utf-8"), headers=headers)


def read_pages(
    config: Config,
    source: SourceConfig,
    urls: Sequence[str],
    *,
    session: requests.Session,
    now: Callable[[], datetime],
    politeness: Politeness,
    memos: dict[str, PageMemo],
    parsers: Parsers,
) -> list[PageReading | None]:
    """Every page of a source, in page order: the pages of one host one after another (its limits and
    delay apply), different hosts at once. After a Retry-After, that host's later pages are not asked
    for (None)."""

    @functools.cache
    def normalizer() -> Normalizer:  # made when a page changed: an unchanged run loads no parser
        from newsdesk.normalize.item import Normalizer

        return Normalizer.for_source(config, source)

    by_host: dict[str, list[int]] = {}
    for index, url in enumerate(urls):
        by_host.setdefault(host_of(url), []).append(index)
    readings: list[PageReading | None] = [None] * len(urls)

    def read_host(indexes: list[int], host_session: requests.Session) -> None:
        for index in indexes:
            reading = read_page(
                config,
                source,
                urls[index],
                session=host_session,
                now=now,
                politeness=politeness,
                memo=memos.get(urls[index], PageMemo()),
                normalizer=normalizer,
                parsers=parsers,
            )
            readings[index] = reading
            if isinstance(reading.error, RetryLaterError):
                return  # the site asked us to wait: no more requests to it now

    if len(by_host) == 1:
        read_host(next(iter(by_host.values())), session)
        return readings

    def read_host_alone(indexes: list[int]) -> None:
        with new_session(config) as host_session:  # a Session is not safe to share across threads
            read_host(indexes, host_session)

    workers = min(len(by_host), config.fetch.workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"pages-{source.name}") as pool:
        for done in [pool.submit(read_host_alone, indexes) for indexes in by_host.values()]:
            done.result()
    return readings


def collect(
    config: Config,
    source: SourceConfig,
    *,
    session: requests.Session,
    now: Callable[[], datetime],
    politeness: Politeness | None = None,
    memos: dict[str, PageMemo] | None = None,
    parsers: Parsers | None = None,
) -> Collected:
    """Fetch, extract and normalize every page of a source; nothing is stored here."""
    urls = [config.resolve_address(address) for address in source.pages]
    readings = read_pages(
        config,
        source,
        urls,
        session=session,
        now=now,
        politeness=politeness or Politeness(),
        memos=memos or {},
        parsers=parsers or Parsers(config, 0),  # 0: in the fetching threads
    )
    out = Collected()
    first_rank = source_rank(config, source)
    for url, reading in zip(urls, readings, strict=True):
        if reading is None:
            continue  # not asked for: its host asked to wait
        page = reading.page
        if page is not None and page.permanently_moved_to:
            out.moved.append((url, page.permanently_moved_to))
        if reading.error is not None:
            out.errors.append(reading.error)
            continue
        if reading.unchanged:
            out.not_modified.append(url)
            continue
        assert page is not None
        out.found.extend(reading.found)
        if not reading.found:
            out.unmatched.append(page)  # preview looks at what the page holds instead
        out.cards += reading.cards
        items = [
            replace(item, rank=first_rank + len(out.items) + at) for at, item in enumerate(reading.items)
        ]
        out.counts[url] = len(items)
        out.memos[url] = reading.memo
        out.items.extend(items)
        if reading.recipe:
            out.recipes[url] = reading.recipe
    return out


def finished_items(
    config: Config,
    source: SourceConfig,
    items: list[Item],
    *,
    store: Store | None,
    session: requests.Session,
    politeness: Politeness | None,
    now: Callable[[], datetime],
) -> list[Item]:
    """What a source's pages gave, without a logo shared by most stories, and with new stories
    enriched from their articles (`enrich:`); an og:image that is the site's logo on every article
    is dropped in turn."""
    if not items:
        return items
    items = without_shared_image(items, source.name)
    if source.enrich_fields:
        from newsdesk.enrich import Enrichment, enrich_items

        report = Enrichment()
        items = enrich_items(
            config,
            source,
            items,
            store=store,
            session=session,
            politeness=politeness or Politeness(),
            now=now,
            report=report,
        )
        if report.fetched:
            filled = (
                ", ".join(f"{name} {count}" for name, count in sorted(report.filled.items())) or "nothing"
            )
            log.info(
                "source %r: %d article page(s) asked for (%d not modified, %d failed); filled %s",
                source.name,
                report.fetched,
                report.not_modified,
                report.failed,
                filled,
            )
        items = without_shared_image(items, source.name)
    return items


def source_rank(config: Config, source: SourceConfig) -> int:
    """Cards rank by the source's place in the config, then by their place on its pages."""
    place = next((at for at, other in enumerate(config.sources) if other.name == source.name), 0)
    return place * RANKS_PER_SOURCE


@dataclass
class Gathered:
    """One source's refresh up to the store: what its pages gave and what went wrong."""

    source: SourceConfig
    got: Collected
    config_hash: str
    started: float
    new_recipes: dict[str, str] = field(default_factory=dict)  # store meta key -> recipe to remember


def gather_source(
    config: Config,
    source: SourceConfig,
    store: Store,
    *,
    session: requests.Session,
    now: Callable[[], datetime] = utc_now,
    politeness: Politeness | None = None,
    parsers: Parsers | None = None,
) -> Gathered:
    """Fetch, extract and normalize one source (parallel part: reads the store, never writes items)."""
    started = time.monotonic()
    config_hash = source.fingerprint
    addresses = [config.resolve_address(address) for address in source.pages]
    memos_read = True
    try:
        memos = store.page_memos(source.name, addresses, config_hash)
    except DatabaseError as exc:  # without its memory a page is only fetched and parsed in full
        log.warning("source %r: page memory unreadable (%s); reading every page in full", source.name, exc)
        memos, memos_read = {}, False
    got = collect(
        config, source, session=session, now=now, politeness=politeness, memos=memos, parsers=parsers
    )
    got.items = finished_items(
        config, source, got.items, store=store, session=session, politeness=politeness, now=now
    )
    _check_counts(config, source, got, memos, memory_read=memos_read)
    for old, new in got.moved:
        log.warning(
            "source %r: %s moved permanently to %s; update %s", source.name, old, new, config.path.name
        )
    _log_item_notes(config, source, got.items)
    return Gathered(source, got, config_hash, started, _changed_recipes(store, source, got.recipes))


def _changed_recipes(store: Store, source: SourceConfig, recipes: dict[str, str]) -> dict[str, str]:
    """type: auto: what discovery read on each page, logged when it differs from the last refresh
    (the site changed its markup: the feed may change with it)."""
    changed = {}
    for url, recipe in recipes.items():
        key = f"discovered:{source.name}:{url}"
        try:
            before = store.meta(key)
        except DatabaseError:
            continue
        if before == recipe:
            continue
        if before is None:
            log.info("source %r %s: discovered %s", source.name, url, recipe)
        else:
            log.warning(
                "source %r %s: the page is now read differently: %s (was: %s)",
                source.name,
                url,
                recipe,
                before,
            )
        changed[key] = recipe
    return changed


def preview_hint(config: Config, source: SourceConfig) -> str:
    """The command that shows what the selectors find (with --config when it is not the default)."""
    option = "" if config.path.name == "config.yaml" else f" --config {config.path}"
    return f"check the selectors with `newsdesk preview {source.name}{option}`"


def _check_counts(
    config: Config,
    source: SourceConfig,
    got: Collected,
    memos: dict[str, PageMemo],
    *,
    memory_read: bool,
) -> None:
    """Pages that give no item become errors when the source's selectors never found one (its first
    reading) or when they found some before (the site changed, not the news)."""
    for url, count in list(got.counts.items()):
        before = memos[url].item_count if url in memos else 0
        if count == 0 and before > 0:
            got.errors.append(
                ExtractError(source.name, url, f"no items found where {before} were found before")
            )
            del got.counts[url]
    never_found = memory_read and not any(memo.item_count for memo in memos.values())
    if got.counts and not any(got.counts.values()) and never_found:
        # A first reading (a 304 or an unchanged body is not one: those pages are not in counts).
        only = next(iter(got.counts)) if len(got.counts) == 1 else None
        pages = "" if only else f" on any of its {len(got.counts)} pages"
        got.errors.append(
            NoItemsError(
                source.name, only, f"no items found{pages} on a first reading; {preview_hint(config, source)}"
            )
        )
        got.counts.clear()
        return
    for url, count in got.counts.items():
        if count == 0:
            log.warning("source %r %s: no items found; %s", source.name, url, preview_hint(config, source))


def apply_gathered(store: Store, gathered: Gathered, now: datetime) -> RefreshReport:
    """Store one gathered refresh in one write transaction, and report it."""
    got = gathered.got
    try:
        result = _record(store, gathered.source, got, now, gathered.config_hash)
        for key, recipe in gathered.new_recipes.items():
            store.set_meta(key, recipe)
    except (DatabaseError, StoreError) as exc:  # lock not free in time, connection lost: next time
        got.errors.append(SourceError(gathered.source.name, None, f"not stored: {store_failure(exc)}"))
        result = StoreResult()
    report = RefreshReport(
        source=gathered.source.name,
        pages=len(got.counts),
        result=result,
        errors=tuple(str(error) for error in got.errors),
        duration=time.monotonic() - gathered.started,
        not_modified=len(got.not_modified),
        moved=tuple(got.moved),
    )
    log_refresh(report)
    return report


def refresh_source(
    config: Config,
    source: SourceConfig,
    store: Store,
    *,
    session: requests.Session,
    now: Callable[[], datetime] = utc_now,
    politeness: Politeness | None = None,
    parsers: Parsers | None = None,
) -> RefreshReport:
    """One refresh of one source; never raises for the source's own failures."""
    gathered = gather_source(
        config, source, store, session=session, now=now, politeness=politeness, parsers=parsers
    )
    return apply_gathered(store, gathered, now())


def _record(
    store: Store, source: SourceConfig, got: Collected, now: datetime, config_hash: str
) -> StoreResult:
    error_text = "; ".join(str(error) for error in got.errors) or None
    kind = _error_kind(got.errors)
    gone = next((e for e in got.errors if isinstance(e, GoneError)), None)
    wait = next((e for e in got.errors if isinstance(e, RetryLaterError)), None)
    if gone is not None:
        store.record_failure(
            source.name, now=now, error=str(gone), error_kind="gone", disabled_config=config_hash
        )
        return StoreResult()
    if got.counts or (got.not_modified and not got.errors):
        return store.record_refresh(
            source.name,
            got.items,
            page_counts=got.counts,
            now=now,
            error=error_text,
            error_kind=kind,
            page_memos=got.memos,
            config_hash=config_hash,
        )
    store.record_failure(
        source.name,
        now=now,
        error=error_text or "no page could be read",
        error_kind=kind or "fetch",
        retry_after=wait.until if wait else None,
    )
    return StoreResult()


def _error_kind(errors: Sequence[SourceError]) -> str | None:
    """The kind of the first error, as status shows it."""
    return errors[0].kind if errors else None


def log_refresh(report: RefreshReport) -> None:
    """The one line per refresh a maintainer reads (and, with --log-format json, a machine)."""
    result = report.result
    error = "; ".join(report.errors) or None
    log.info(
        "refresh %s: pages %d fetched / %d not modified, items new %d / updated %d / unchanged %d, %.2fs%s",
        report.source,
        report.pages,
        report.not_modified,
        result.new,
        result.updated,
        result.unchanged,
        report.duration,
        f", error: {error}" if error else "",
        extra={
            "fields": {
                "event": "refresh",
                "source": report.source,
                "pages": report.pages,
                "not_modified": report.not_modified,
                "new": result.new,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "duration": round(report.duration, 3),
                "error": error,
            }
        },
    )


def publish_changes(
    config: Config,
    store: Store,
    categories: Iterable[str] | None = None,
    *,
    now: datetime,
    through: int | None = None,
) -> PublishReport:
    """The config's forced merges and splits (the only writes), then the files from the store.

    Every feed (`categories` None) is skipped when nothing it depends on changed since the last publish
    into the folder. A publish of some categories that covers every change up to `through` notes it.
    """
    started = time.monotonic()
    forced = store.apply_merge_overrides(now)
    if categories is None:
        through = store.newest_change()  # read before rendering: a later change is published later
    state = None if through is None else output_state(config, through)
    if categories is None and state is not None and is_current(config, store, state):
        report = PublishReport(skipped=True)
        log_publish(report, time.monotonic() - started)
        return report
    if categories is not None:
        categories = set(categories) | forced
    from newsdesk.publish import publish

    report = publish(config, store, categories)
    if state is not None and not report.errors:
        remember(config, store, state, report.written + report.unchanged, complete=categories is None)
    record_publish(store, report, time.monotonic() - started)
    return report


def record_publish(store: Store, report: PublishReport, duration: float) -> None:
    """Remember the last publish for /metrics, and log it."""
    store.set_meta("last_publish_duration", f"{duration:.6f}")
    store.set_meta("last_publish_errors", str(len(report.errors)))
    log_publish(report, duration)


def log_publish(report: PublishReport, duration: float) -> None:
    for error in report.errors:
        log.error("publish: %s", error)
    if report.skipped:
        log.info("published 0 file(s): nothing changed since the last publish, %.2fs", duration)
        return
    log.info(
        "published %d file(s), %d unchanged, %.2fs",
        len(report.written),
        len(report.unchanged),
        duration,
        extra={
            "fields": {
                "event": "publish",
                "written": len(report.written),
                "unchanged": len(report.unchanged),
                "errors": len(report.errors),
                "duration": round(duration, 3),
            }
        },
    )


def _log_item_notes(config: Config, source: SourceConfig, items: Iterable[Item]) -> None:
    invented: set[str] = set()
    for item in items:
        for category in item.new_categories:
            if category not in invented:
                invented.add(category)
                log.info(
                    "source %r: label not in categories, filed under %r (add it to %s "
                    "to give it a title or an alias)",
                    source.name,
                    category,
                    config.path.name,
                )
        if item.unparsed_date:
            log.warning(
                "source %r: cannot read the date %r of %r; using the time it was first seen",
                source.name,
                item.unparsed_date,
                item.url or item.title,
            )
        if item.future_date:
            log.info(
                "source %r: the date %r of %r is ahead (an event's?); using the time it was first seen",
                source.name,
                item.future_date,
                item.url or item.title,
            )


def blocked_reason(source: SourceConfig, state: SourceState, now: datetime) -> str | None:
    """Why no request may be sent to this source now (410 Gone, or a Retry-After still running)."""
    if disabled_by_gone(source, state):
        return f"source {source.name!r}: disabled after HTTP 410 Gone; change its config to re-enable it"
    if state.retry_after and state.retry_after > now:
        return f"source {source.name!r}: the site asked to wait until {state.retry_after.isoformat()}"
    return None


def not_now_reason(source: SourceConfig, state: SourceState, now: datetime) -> str | None:
    """Why a due job must not refresh the source yet: blocked, or backing off after failures (the
    daemon's job and a worker's task both ask, the worker with a newer view of the store)."""
    reason = blocked_reason(source, state, now)
    due = next_due(source, state, now)
    if reason is None and state.failures and due is not None and due > now:
        reason = f"backing off until {due}"
    return reason


def refresh_all(
    config: Config,
    store: Store,
    *,
    now: Callable[[], datetime] = utc_now,
    sources: Iterable[SourceConfig] | None = None,
    parsers: Parsers | None = None,
) -> list[RefreshReport]:
    """One refresh of every enabled source (or of `sources`), concurrently and politely; no publish.

    The result equals a serial run over the sources in the order of their names, for any number of
    workers and any order in the config.
    """
    reports: list[RefreshReport] = []
    sessions = Sessions(config)
    politeness = Politeness.for_config(config, store=store, now=now)
    try:
        states = store.source_states()
        due = []
        for source in config.sources if sources is None else sources:
            if not source.enabled:
                continue
            reason = blocked_reason(source, states.get(source.name) or SourceState(source.name), now())
            if reason:
                log.warning("%s", reason)
                reports.append(RefreshReport(source.name, 0, StoreResult(), (reason,), 0.0, skipped=True))
            else:
                due.append(source)

        # Worker processes only if this run reads enough pages to repay them (the daemon keeps its own).
        chosen = parsers or Parsers.for_refresh(config, sum(len(source.pages) for source in due))

        def gather(source: SourceConfig) -> Gathered:
            return gather_source(
                config, source, store, session=sessions.get(), now=now, politeness=politeness, parsers=chosen
            )

        # Sources are fetched and parsed in parallel, and stored one by one in the order of their names
        # as each is ready: the output is that of a serial run, whatever finishes first and however
        # the config lists them.
        # One moment for the whole run: stories first seen in it tie on it, and keep the order of the
        # source list and of each page (their rank) rather than the order the fetches finished in.
        due.sort(key=lambda source: source.name)
        moment = now()
        try:
            with ThreadPoolExecutor(max_workers=config.fetch.workers, thread_name_prefix="refresh") as pool:
                reports.extend(apply_gathered(store, gathered, moment) for gathered in pool.map(gather, due))
        finally:
            if chosen is not parsers:
                chosen.close()
    finally:
        sessions.close()
    return reports


def run(config: Config, *, now: Callable[[], datetime] = utc_now) -> RunReport:
    """One refresh of every enabled source, then publish every feed."""
    report = RunReport()
    store = open_store(config, now())
    try:
        report.refreshes.extend(refresh_all(config, store, now=now))
        report.publish = publish_changes(config, store, now=now())
    finally:
        store.close()
    return report
