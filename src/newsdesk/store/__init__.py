"""The store: SQLite (WAL) by default, PostgreSQL by URL; safe for any number of writers.

A refresh is one write transaction under the store's write lock (`Database.write`): the near-duplicate
index catches up with what other processes committed, then each item goes

    lookup (rows its keys point at, candidates) | decide.decide (pure) | apply (rows written)

and the items, keys, merges, page memory and the source's state change together or not at all.
Reads (publishing, status, page memory) take no lock and see the last commit.

Modules: `database` (URL -> connections, the write lock, SQL for SQLite and PostgreSQL), `schema` and
`migrate` (+ `migrations/`, with SQLAlchemy and Alembic, imported only to create or upgrade a store),
`items`, `sources`, `labels`, `near` (near-duplicate queries).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.dedup.policy import DedupPolicy
from newsdesk.errors import DatabaseError, StoreError
from newsdesk.models import Item, PageMemo, SourceState, StoredItem, StoreResult
from newsdesk.store import items as rows
from newsdesk.store import sources
from newsdesk.store.database import (
    Database,
    placeholders,
    shown,
    sqlite_path,
    store_exists,
    store_failure,
    utc,
)
from newsdesk.store.labels import all_labels, save_labels
from newsdesk.store.sources import changes_since, newest_change, record_change

if TYPE_CHECKING:
    from newsdesk.dedup.identity import Change
    from newsdesk.store.near import NearDuplicates

__all__ = ["DatabaseError", "Store", "StoreError", "sqlite_path", "store_exists", "store_failure"]


class Store:
    """All database access; every other module sees plain dataclasses."""

    def __init__(self, url: str, *, site_host: str, dedup: DedupPolicy | None = None) -> None:
        self.site_host = site_host
        self.dedup = dedup or DedupPolicy()
        self.url = url
        self.db = Database(url)

    def create(self, now: datetime) -> None:
        """Create or upgrade the schema (once, whoever starts first); record when the store was born."""
        from newsdesk.store.migrate import prepare_schema  # tempfile, Alembic's bookkeeping: not for readers

        try:
            prepare_schema(self.db)
            if self.meta("created") is None:
                with self.db.write() as conn:
                    if sources.meta(conn, "created") is None:
                        sources.set_meta(conn, "created", now.isoformat())
        except DatabaseError as exc:  # server down, wrong credentials, unwritable file
            raise StoreError(
                f"database {shown(self.url)}: cannot open the store: {store_failure(exc)}"
            ) from exc

    def is_created(self) -> bool:
        """False for a server database no newsdesk has written yet (readers then have nothing to read)."""
        with self.db.read() as conn:
            return conn.has_table("sources")

    def close(self) -> None:
        self.db.close()

    def forget_index(self) -> None:
        """Drop this process's near-duplicate index (a rolled-back write may have added to it)."""
        if "near" in self.__dict__:
            self.near.forget()

    @functools.cached_property
    def near(self) -> NearDuplicates:
        """The near-duplicate index of this process (numpy, the judge): made at the first write."""
        from newsdesk.store.near import NearDuplicates

        return NearDuplicates(self.dedup)

    # --- refreshes ---------------------------------------------------------------------------

    def record_refresh(
        self,
        source: str,
        items: Sequence[Item],
        *,
        page_counts: dict[str, int],
        now: datetime,
        error: str | None = None,
        error_kind: str | None = None,
        page_memos: dict[str, PageMemo] | None = None,
        config_hash: str | None = None,
    ) -> StoreResult:
        """Store one refresh's items and bookkeeping in a single write transaction. A refresh that
        brings no item (pages not modified) keeps only its bookkeeping, and loads neither the judge
        nor numpy (`apply`)."""
        from newsdesk.dedup.identity import Change, collapse, identity_keys

        counts: Counter[Change] = Counter()
        touched: set[str] = set()
        try:
            with self.db.write() as conn:
                try:
                    batch = [(item, identity_keys(item)) for item in collapse(items)]
                    if batch:
                        from newsdesk.store.apply import store_item

                    known = rows.lookup(conn, {key for _, keys in batch for key in keys})
                    for item, keys in batch:
                        change, categories = store_item(self, conn, item, keys, now, known)
                        counts[change] += 1
                        touched |= categories
                    touched |= save_labels(conn, (pair for item in items for pair in item.labels))
                    memos = page_memos or {}
                    for url, count in page_counts.items():
                        memo = memos.get(url, PageMemo())
                        sources.save_page(conn, url, source, count, now, memo, config_hash)
                    sources.save_attempt(conn, source, now, error, error_kind)
                    if touched:
                        record_change(conn, touched, now)
                except BaseException:
                    # Before the rollback lets another writer in: the index may hold rows it removes.
                    self.forget_index()
                    raise
        except Exception:
            self.forget_index()  # the commit itself failed
            raise
        return StoreResult(
            counts[Change.NEW], counts[Change.UPDATED], counts[Change.UNCHANGED], frozenset(touched)
        )

    def record_failure(
        self,
        source: str,
        *,
        now: datetime,
        error: str,
        error_kind: str = "fetch",
        retry_after: datetime | None = None,
        disabled_config: str | None = None,
    ) -> None:
        with self.db.write() as conn:
            sources.save_attempt(conn, source, now, error, error_kind, retry_after, disabled_config)

    def page_memos(self, source: str, urls: Iterable[str], config_hash: str) -> dict[str, PageMemo]:
        """What this source remembers of its pages; validators and digest only from this same config."""
        with self.db.read() as conn:
            return sources.page_memos(conn, source, urls, config_hash)

    def robots(self, origin: str, now: datetime) -> tuple[bool, str | None]:
        """(found fresh, body) for a cached robots.txt; body None means 'allow everything'."""
        with self.db.read() as conn:
            cached = sources.robots(conn, origin)
        if cached is None or cached[1] <= now:
            return False, None
        return True, cached[0]

    def save_robots(self, origin: str, body: str | None, expires: datetime) -> None:
        with self.db.write() as conn:
            sources.save_robots(conn, origin, body, expires)

    def remap_categories(self, mapping: dict[str, str]) -> int:
        """Move items from categories invented for a label to the category that now owns the label."""
        if not mapping:
            return 0
        from newsdesk.dedup import identity

        moved = 0
        with self.db.write() as conn:
            for old, new in sorted(mapping.items()):
                ids = conn.scalars(
                    "SELECT item_id FROM item_categories WHERE category = :old ORDER BY item_id", {"old": old}
                )
                for chunk in rows.chunks(ids):
                    among, params = placeholders("id", chunk)
                    for record in rows.load(conn, f"{rows.SELECT} WHERE id IN {among} ORDER BY id", params):
                        categories = tuple(dict.fromkeys(new if c == old else c for c in record.categories))
                        changed = replace(record, categories=categories)
                        rows.save(conn, replace(changed, content_hash=identity.content_hash(changed)))
                        moved += 1
        return moved

    def apply_merge_overrides(self, now: datetime) -> set[str]:
        """The config's forced splits and merges; the categories whose feeds change."""
        if not (self.dedup.never_merge or self.dedup.always_merge):
            return set()
        from newsdesk.store.near import apply_overrides

        with self.db.write() as conn:
            changed = apply_overrides(conn, self.dedup, now)
            if not changed:
                return set()
            among, params = placeholders("id", sorted(changed))
            touched = set(
                conn.scalars(f"SELECT category FROM item_categories WHERE item_id IN {among}", params)
            )
            record_change(conn, touched, now)  # other daemons sharing the store publish them too
            return touched

    # --- reading -----------------------------------------------------------------------------

    def newest_change(self) -> int:
        """The id of the last change noted; a publisher's watermark (one small query)."""
        with self.db.read() as conn:
            return newest_change(conn)

    def changes_since(self, mark: int) -> tuple[int, set[str] | None]:
        """(newest change id, categories touched after `mark`); None when the changes after `mark`
        were already pruned, so everything must be published."""
        with self.db.read() as conn:
            return changes_since(conn, mark)

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The story addresses already stored (enrichment fetches an article for new stories only)."""
        with self.db.read() as conn:
            keys = rows.known_keys(conn, (f"url:{url}" for url in urls))
        return {key.removeprefix("url:") for key in keys}

    def set_meta(self, key: str, value: str) -> None:
        with self.db.write() as conn:
            sources.set_meta(conn, key, value)

    def meta(self, key: str) -> str | None:
        with self.db.read() as conn:
            return sources.meta(conn, key)

    def created(self) -> datetime:
        value = self.meta("created")
        if value is None:
            raise StoreError("the store has not been created yet (run `newsdesk run` once)")
        return datetime.fromisoformat(value)

    def latest_items(self, category: str | None, limit: int) -> list[StoredItem]:
        """Newest first; a category includes its sub-categories; None means every item."""
        with self.db.read() as conn:
            return rows.latest(conn, category, limit)

    def category_labels(self) -> dict[str, str]:
        """{'evenement': 'Événement'}: the categories made from page labels, as the sites wrote them."""
        with self.db.read() as conn:
            return all_labels(conn)

    def categories_in_use(self) -> set[str]:
        with self.db.read() as conn:
            return rows.categories_in_use(conn)

    def item_count(self, source: str | None = None) -> int:
        if source is not None:
            return self.items_per_source()[source]
        with self.db.read() as conn:
            return int(conn.scalar("SELECT count(*) FROM items"))

    def item_count_in_category(self, category: str) -> int:
        with self.db.read() as conn:
            return int(
                conn.scalar("SELECT count(*) FROM item_categories WHERE category = :c", {"c": category})
            )

    def merge_groups(self) -> list[dict[str, Any]]:
        """Merged stories, newest merge first: the kept entry and what was folded into it, and why."""
        query = """
            SELECT merges.at, merges.score, merges.rule, kept.id AS kept_id, kept.entry_id AS kept_entry,
                   kept.title AS kept_title, kept.url AS kept_url, merged.title AS merged_title,
                   merged.url AS merged_url, merged.sources AS merged_sources
            FROM merges
            JOIN items AS kept ON kept.id = merges.kept_id
            JOIN items AS merged ON merged.id = merges.merged_id
            ORDER BY merges.at DESC, merges.id DESC
        """
        groups: dict[int, dict[str, Any]] = {}
        with self.db.read() as conn:
            for row in conn.rows(query):
                at = utc(row.at)
                assert at is not None
                group = groups.setdefault(
                    row.kept_id,
                    {
                        "id": row.kept_entry,
                        "title": row.kept_title,
                        "url": row.kept_url,
                        "last_merge": at.isoformat(),
                        "merged": [],
                    },
                )
                group["merged"].append(
                    {
                        "title": row.merged_title,
                        "url": row.merged_url,
                        "sources": json.loads(row.merged_sources),
                        "score": row.score,
                        "rule": row.rule,
                        "at": at.isoformat(),
                    }
                )
        return list(groups.values())

    def source_state(self, name: str) -> SourceState:
        with self.db.read() as conn:
            return sources.source_state(conn, name) or SourceState(name=name)

    def source_states(self, *, item_counts: bool = False) -> dict[str, SourceState]:
        """Every source's fetch bookkeeping; `item_counts` adds a pass over the items (status, metrics)."""
        with self.db.read() as conn:
            states = sources.source_states(conn)
        if not item_counts:
            return states
        counts = self.items_per_source()
        return {name: replace(state, items=counts.get(name, 0)) for name, state in states.items()}

    def items_per_source(self) -> Counter[str]:
        """Items per source, grouped by the database: few distinct source lists, whatever the items."""
        counts: Counter[str] = Counter()
        with self.db.read() as conn:
            for names, count in conn.execute("SELECT sources, count(*) FROM items GROUP BY sources"):
                for name in json.loads(names):
                    counts[name] += count
        return counts
