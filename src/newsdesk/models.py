"""The plain data passed between stages, named by which side of a stage it is on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Page:
    """What fetch returns: the final URL after redirects and the raw body."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: datetime
    not_modified: bool = False
    requested_url: str = ""
    permanently_moved_to: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class RawItem:
    """One card or feed entry as found: strings, unresolved meaning, nothing trusted."""

    source: str
    page_url: str
    title: str | None = None
    link: str | None = None
    summary: str | None = None
    summary_is_html: bool = False
    title_is_html: bool = False
    categories: tuple[str, ...] = ()
    date_text: str | None = None
    image: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Item:
    """A normalized item: canonical URL, clean text, canonical categories, aware UTC dates."""

    source: str
    url: str | None
    title: str
    summary_html: str
    summary_text: str
    categories: tuple[str, ...]
    published: datetime | None
    image: str | None
    language: str
    guid: str | None = None
    new_categories: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # (category id, label as the page wrote it) for new ones
    rank: int = 0  # where the card stands: the source's place in the config, then page order
    unparsed_date: str | None = None
    future_date: str | None = None  # a date after the fetch (an event's, in an agenda): not when published
    filled: tuple[tuple[str, str], ...] = ()  # (field, where the article page gave it) when enriched
    content_html: str = ""  # the article page's full text (enrich: content), sanitized
    page_url: str = ""

    @property
    def origin(self) -> str:
        """Where this version of the text comes from: one page of one source."""
        return f"{self.source} {self.page_url}" if self.page_url else self.source


@dataclass(frozen=True)
class StoredItem:
    """An item as the store knows it: stable identity, first-seen time, the source that owns its text."""

    entry_id: str
    url: str | None
    title: str
    summary_html: str
    summary_text: str
    categories: tuple[str, ...]
    published: datetime
    date_from_source: bool
    updated: datetime
    first_seen: datetime
    image: str | None
    language: str
    content_source: str
    keys: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    content_hash: str = ""
    content_html: str = ""  # the article page's full text (enrich: content)
    seen_rank: int = field(default=0, compare=False)
    row_id: int | None = field(default=None, compare=False)
    duplicate_of: int | None = field(default=None, compare=False)
    alternates: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (language, url)


@dataclass(frozen=True)
class StoreResult:
    """What one refresh changed in the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_touched: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PageMemo:
    """What a source remembers of a page it read: the validators of a conditional GET, and a digest
    of the body, so that a page served again byte for byte (no validators) is not parsed again;
    both only from a reading with the same source config. And how many items it gave."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    item_count: int = 0


@dataclass(frozen=True)
class SourceState:
    """A source's refresh history as the store keeps it."""

    name: str
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    error_kind: str | None = None
    retry_after: datetime | None = None
    disabled_config: str | None = None
    attempts: int = 0
    failures_total: int = 0
    items: int | None = None  # counted only when asked (status, metrics): a pass over the items
