"""SQLAlchemy Core schema and queries: SQLite (WAL) by default, any SQLAlchemy URL otherwise.

A refresh is one transaction: items, identity keys, page bookkeeping and the source's state change
together or not at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from newsdesk.dedup import Change, collapse, content_hash, identity_keys, merge
from newsdesk.duplicates import DedupPolicy, DuplicateFinder, apply_overrides, record_merge
from newsdesk.models import Item, PageMemo, SourceState, StoredItem, StoreResult
from newsdesk.normalize.categories import ancestors
from newsdesk.schema import (
    alternates_table,
    item_categories_table,
    item_keys_table,
    items_table,
    merges_table,
    meta_table,
    metadata,
    pages_table,
    robots_table,
    sources_table,
    upgrade_schema,
)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # Read-then-write transactions must hold the write lock from the start, or two writers
        # deadlock on upgrade; readers take a plain deferred BEGIN so they never block the daemon.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A skip-scan over the category index (SQLite and PostgreSQL both run it), keeping the categories
# that still have an item not merged into another story.
DISTINCT_CATEGORIES = sa.text(
    """
    WITH RECURSIVE seen(category) AS (
        SELECT MIN(category) FROM item_categories
        UNION ALL
        SELECT (SELECT MIN(category) FROM item_categories WHERE category > seen.category)
        FROM seen WHERE seen.category IS NOT NULL
    )
    SELECT category FROM seen
    WHERE category IS NOT NULL AND EXISTS (
        SELECT 1 FROM item_categories AS member JOIN items ON items.id = member.item_id
        WHERE member.category = seen.category AND items.duplicate_of IS NULL
    )
    """
)


@dataclass
class KnownItems:
    """Stored items looked up by key once per refresh, instead of a lookup per item.

    A key written during the refresh is not trusted any more: those items are read again.
    """

    by_key: dict[str, StoredItem]
    written: set[str] = field(default_factory=set)

    def trusted(self, keys: Sequence[str]) -> bool:
        return self.written.isdisjoint(keys)

    def find(self, keys: Sequence[str]) -> StoredItem | None:
        """The item of the lowest id any key points at (the first stored of a story's sightings)."""
        found = [self.by_key[key] for key in keys if key in self.by_key]
        return min(found, key=lambda record: record.row_id or 0, default=None)


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Store:
    """All database access; every other module sees plain dataclasses."""

    def __init__(self, url: str, *, site_host: str, dedup: DedupPolicy | None = None) -> None:
        self.site_host = site_host
        self.dedup = dedup or DedupPolicy()
        self.finder = DuplicateFinder(self.dedup)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url)
        if self.engine.dialect.name == "sqlite":
            _sqlite_pragmas(self.engine)
        self._writer = self.engine.execution_options(immediate=True)

    def create(self, now: datetime) -> None:
        """Create the schema on first use; record when the store was born (the date of empty feeds)."""
        metadata.create_all(self.engine)
        with self._writer.begin() as conn:
            upgrade_schema(conn)
            existing = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "created")
            ).scalar()
            if existing is None:
                conn.execute(meta_table.insert().values(key="created", value=now.isoformat()))

    def close(self) -> None:
        self.engine.dispose()

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
        """Store one refresh's items and bookkeeping in a single transaction."""
        new = updated = unchanged = 0
        touched: set[str] = set()
        try:
            with self._writer.begin() as conn:
                batch = [(item, identity_keys(item)) for item in collapse(items)]
                known = self._lookup(conn, {key for _, keys in batch for key in keys})
                for item, keys in batch:
                    change, categories = self._store_item(conn, item, keys, now, known)
                    if change is Change.NEW:
                        new += 1
                    elif change is Change.UPDATED:
                        updated += 1
                    else:
                        unchanged += 1
                    touched |= categories
                for url, count in page_counts.items():
                    memo = (page_memos or {}).get(url, PageMemo())
                    self._save_page(conn, url, source, count, now, memo, config_hash)
                self._save_attempt(conn, source, now, error, error_kind)
        except Exception:
            self.finder.forget()  # the index may hold rows the rollback removed
            raise
        return StoreResult(new, updated, unchanged, frozenset(touched))

    def _store_item(
        self, conn: Connection, item: Item, keys: Sequence[str], now: datetime, known: KnownItems
    ) -> tuple[Change, frozenset[str]]:
        """Exact identity first (keys); a new story is then checked against near-duplicates."""
        stored = (known if known.trusted(keys) else self._lookup(conn, keys)).find(keys)
        outcome = merge(stored, item, now=now, site_host=self.site_host)
        if stored is not None and outcome.record == stored and stored.duplicate_of is None:
            return outcome.change, outcome.touched_categories
        row_id = self._save(conn, outcome.record, known)
        canonical_id = stored.duplicate_of if stored is not None else None
        if stored is None and self.dedup.enabled:
            found = self.finder.find(conn, item, row_id, now)
            if found is not None:
                canonical_id, verdict = found
                record_merge(conn, canonical_id, row_id, verdict, now)
            else:
                self.finder.link_translations(conn, item, row_id)
        if canonical_id is None:
            return outcome.change, outcome.touched_categories
        # Fold this sighting into the story it repeats: richest version wins, categories united.
        canonical = self._load(conn, sa.select(items_table).where(items_table.c.id == canonical_id))[0]
        folded = merge(canonical, item, now=now, site_host=self.site_host)
        if folded.record != canonical:
            self._save(conn, replace(folded.record, keys=canonical.keys), known)
        return folded.change, folded.touched_categories

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
        with self._writer.begin() as conn:
            self._save_attempt(conn, source, now, error, error_kind, retry_after, disabled_config)

    def page_memos(self, source: str, urls: Iterable[str], config_hash: str) -> dict[str, PageMemo]:
        """What this source remembers of its pages; validators and digest only from this same config."""
        wanted = list(urls)
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(pages_table).where(pages_table.c.source == source, pages_table.c.url.in_(wanted))
            )
            return {
                row.url: PageMemo(row.etag, row.last_modified, row.body_hash, row.item_count)
                if row.config_hash == config_hash
                else PageMemo(item_count=row.item_count)
                for row in rows
            }

    def robots(self, origin: str, now: datetime) -> tuple[bool, str | None]:
        """(found fresh, body) for a cached robots.txt; body None means 'allow everything'."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(robots_table).where(robots_table.c.origin == origin)).first()
        if row is None or row.expires <= now:
            return False, None
        return True, row.body

    def save_robots(self, origin: str, body: str | None, expires: datetime) -> None:
        with self._writer.begin() as conn:
            conn.execute(robots_table.delete().where(robots_table.c.origin == origin))
            conn.execute(robots_table.insert().values(origin=origin, body=body, expires=expires))

    def _lookup(self, conn: Connection, wanted: Iterable[str]) -> KnownItems:
        """The stored items these keys point at, in a handful of queries however many keys."""
        owners: dict[str, int] = {}
        for chunk in _chunks(sorted(wanted), 500):
            query = sa.select(item_keys_table.c.key, item_keys_table.c.item_id)
            owners.update(
                (key, item_id) for key, item_id in conn.execute(query.where(item_keys_table.c.key.in_(chunk)))
            )
        records: dict[int, StoredItem] = {}
        for chunk in _chunks(sorted(set(owners.values())), 500):
            loaded = self._load(conn, sa.select(items_table).where(items_table.c.id.in_(chunk)))
            records.update((record.row_id, record) for record in loaded if record.row_id is not None)
        return KnownItems({key: records[row_id] for key, row_id in owners.items() if row_id in records})

    def _distinct_updated(self, conn: Connection, record: StoredItem) -> StoredItem:
        """Give no two items the same `updated`: feed readers and validators treat a tie as a dupe."""
        moment = record.updated
        # One query for the taken moments just after this one (not one query per second tried).
        taken = set(
            conn.execute(
                sa.select(items_table.c.updated).where(
                    items_table.c.updated >= moment,
                    items_table.c.updated < moment + timedelta(days=1),
                    items_table.c.id != (record.row_id or -1),
                )
            ).scalars()
        )
        while moment in taken:
            moment += timedelta(seconds=1)
        return record if moment == record.updated else replace(record, updated=moment)

    def _save(self, conn: Connection, record: StoredItem, known: KnownItems | None = None) -> int:
        record = self._distinct_updated(conn, record)
        if known is not None:
            known.written.update(record.keys)
        values = {
            "entry_id": record.entry_id,
            "url": record.url,
            "title": record.title,
            "summary_html": record.summary_html,
            "summary_text": record.summary_text,
            "image": record.image,
            "language": record.language,
            "published": record.published,
            "date_from_source": record.date_from_source,
            "updated": record.updated,
            "first_seen": record.first_seen,
            "content_source": record.content_source,
            "content_hash": record.content_hash,
            "sources": json.dumps(list(record.sources)),
        }
        row_id = record.row_id
        if row_id is None:
            inserted = conn.execute(items_table.insert().values(**values)).inserted_primary_key
            assert inserted is not None
            row_id = inserted[0]
        else:
            conn.execute(items_table.update().where(items_table.c.id == row_id).values(**values))
            conn.execute(item_categories_table.delete().where(item_categories_table.c.item_id == row_id))
        if record.categories:
            conn.execute(
                item_categories_table.insert(),
                [
                    {
                        "item_id": row_id,
                        "category": category,
                        "position": position,
                        "published": record.published,
                    }
                    for position, category in enumerate(record.categories)
                ],
            )
        taken = set(
            conn.execute(
                sa.select(item_keys_table.c.key).where(item_keys_table.c.key.in_(record.keys))
            ).scalars()
        )
        fresh = [{"key": key, "item_id": row_id} for key in record.keys if key not in taken]
        if fresh:
            conn.execute(item_keys_table.insert(), fresh)
        return int(row_id)

    def _save_page(
        self,
        conn: Connection,
        url: str,
        source: str,
        count: int,
        now: datetime,
        memo: PageMemo,
        config_hash: str | None = None,
    ) -> None:
        values = {
            "source": source,
            "item_count": count,
            "last_fetch": now,
            "etag": memo.etag,
            "last_modified": memo.last_modified,
            "body_hash": memo.body_hash,
            "config_hash": config_hash,
        }
        changed = conn.execute(
            pages_table.update()
            .where(pages_table.c.source == source, pages_table.c.url == url)
            .values(**values)
        ).rowcount
        if not changed:
            conn.execute(pages_table.insert().values(url=url, **values))

    def _save_attempt(
        self,
        conn: Connection,
        source: str,
        now: datetime,
        error: str | None,
        error_kind: str | None = None,
        retry_after: datetime | None = None,
        disabled_config: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "attempts": sources_table.c.attempts + 1,
            "last_attempt": now,
            "last_error": error,
            "error_kind": error_kind if error else None,
            "retry_after": retry_after,
            "disabled_config": disabled_config,
        }
        if error is None:
            values.update(last_success=now, failures=0)
        else:
            values["failures"] = sources_table.c.failures + 1
            values["failures_total"] = sources_table.c.failures_total + 1
        update = sources_table.update().where(sources_table.c.name == source).values(**values)
        if not conn.execute(update).rowcount:  # a source's first attempt
            conn.execute(sources_table.insert().values(name=source, failures=0, attempts=0, failures_total=0))
            conn.execute(update)

    # --- reading -----------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self._writer.begin() as conn:
            conn.execute(meta_table.delete().where(meta_table.c.key == key))
            conn.execute(meta_table.insert().values(key=key, value=value))

    def meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            value: str | None = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == key)
            ).scalar()
        return value

    def created(self) -> datetime:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(meta_table.c.value).where(meta_table.c.key == "created")
            ).scalar_one()
        return datetime.fromisoformat(value)

    def latest_items(self, category: str | None, limit: int) -> list[StoredItem]:
        """Newest first; a category includes its sub-categories; None means every item.

        Reads about `limit` rows per category off the indexes, whatever the size of the history.
        """
        newest = (items_table.c.published.desc(), items_table.c.entry_id.desc())
        query = sa.select(items_table).where(items_table.c.duplicate_of.is_(None))
        with self.engine.connect() as conn:
            if category is None:
                return self._load(conn, query.order_by(*newest).limit(limit))
            members = [c for c in self._categories(conn) if category in ancestors(c)]
            rows = {row.id: row for member in members for row in self._newest_in(conn, member, limit)}
            chosen = sorted(rows.values(), key=lambda row: (row.published, row.entry_id), reverse=True)
            ids = [row.id for row in chosen[:limit]]
            return self._load(conn, query.where(items_table.c.id.in_(ids)).order_by(*newest))

    def _newest_in(self, conn: Connection, category: str, limit: int) -> list[Any]:
        """The newest `limit` published items of one category, and any tied with the last of them."""
        query = (
            sa.select(items_table.c.id, items_table.c.published, items_table.c.entry_id)
            .join_from(
                item_categories_table, items_table, items_table.c.id == item_categories_table.c.item_id
            )
            .where(item_categories_table.c.category == category, items_table.c.duplicate_of.is_(None))
        )
        rows = list(conn.execute(query.order_by(item_categories_table.c.published.desc()).limit(limit)))
        if len(rows) == limit:  # ties at the boundary are ordered by entry_id later: fetch them all
            rows += conn.execute(query.where(item_categories_table.c.published == rows[-1].published))
        return rows

    def categories_in_use(self) -> set[str]:
        with self.engine.connect() as conn:
            return self._categories(conn)

    def _categories(self, conn: Connection) -> set[str]:
        """Categories with a published item: one index seek per category, not a pass over the items."""
        return set(conn.execute(DISTINCT_CATEGORIES).scalars())

    def item_count(self, source: str | None = None) -> int:
        if source is not None:
            return self.items_per_source()[source]
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(items_table)).scalar_one())

    def remap_categories(self, mapping: dict[str, str]) -> int:
        """Move items from categories invented for a label to the category that now owns the label."""
        if not mapping:
            return 0
        moved = 0
        with self._writer.begin() as conn:
            for old, new in mapping.items():
                ids = list(
                    conn.execute(
                        sa.select(item_categories_table.c.item_id).where(
                            item_categories_table.c.category == old
                        )
                    ).scalars()
                )
                for record in self._load(conn, sa.select(items_table).where(items_table.c.id.in_(ids))):
                    categories = tuple(dict.fromkeys(new if c == old else c for c in record.categories))
                    changed = replace(record, categories=categories)
                    self._save(conn, replace(changed, content_hash=content_hash(changed)))
                    moved += 1
        return moved

    def apply_merge_overrides(self, now: datetime) -> bool:
        """The config's forced splits and merges; the next publish shows the result."""
        if not (self.dedup.never_merge or self.dedup.always_merge):
            return False
        with self._writer.begin() as conn:
            return apply_overrides(conn, self.dedup, self.finder, now)

    def merge_groups(self) -> list[dict[str, Any]]:
        """Merged stories, newest merge first: the kept entry and what was folded into it, and why."""
        kept = items_table.alias("kept")
        merged = items_table.alias("merged")
        query = (
            sa.select(
                merges_table.c.at,
                merges_table.c.score,
                merges_table.c.rule,
                kept.c.id.label("kept_id"),
                kept.c.entry_id.label("kept_entry"),
                kept.c.title.label("kept_title"),
                kept.c.url.label("kept_url"),
                merged.c.title.label("merged_title"),
                merged.c.url.label("merged_url"),
                merged.c.sources.label("merged_sources"),
            )
            .join(kept, kept.c.id == merges_table.c.kept_id)
            .join(merged, merged.c.id == merges_table.c.merged_id)
            .order_by(merges_table.c.at.desc(), merges_table.c.id.desc())
        )
        groups: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                group = groups.setdefault(
                    row.kept_id,
                    {
                        "id": row.kept_entry,
                        "title": row.kept_title,
                        "url": row.kept_url,
                        "last_merge": row.at.isoformat(),
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
                        "at": row.at.isoformat(),
                    }
                )
        return list(groups.values())

    def item_count_in_category(self, category: str) -> int:
        query = sa.select(sa.func.count()).where(item_categories_table.c.category == category)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def source_state(self, name: str) -> SourceState:
        return self.source_states().get(name) or SourceState(name=name)

    def source_states(self, *, item_counts: bool = False) -> dict[str, SourceState]:
        """Every source's fetch bookkeeping; `item_counts` adds a pass over the items (status, metrics)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sources_table)).all()
        counts = self.items_per_source() if item_counts else {}
        return {
            row.name: SourceState(
                name=row.name,
                last_attempt=row.last_attempt,
                last_success=row.last_success,
                failures=row.failures,
                last_error=row.last_error,
                error_kind=row.error_kind,
                retry_after=row.retry_after,
                disabled_config=row.disabled_config,
                attempts=row.attempts,
                failures_total=row.failures_total,
                items=counts.get(row.name, 0) if item_counts else None,
            )
            for row in rows
        }

    def items_per_source(self) -> Counter[str]:
        """Items per source, grouped by the database: few distinct source lists, whatever the items."""
        counts: Counter[str] = Counter()
        query = sa.select(items_table.c.sources, sa.func.count()).group_by(items_table.c.sources)
        with self.engine.connect() as conn:
            for sources, count in conn.execute(query):
                for name in json.loads(sources):
                    counts[name] += count
        return counts

    def _load(self, conn: Connection, query: sa.Select[Any]) -> list[StoredItem]:
        rows = conn.execute(query).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        categories: dict[int, list[str]] = {row_id: [] for row_id in ids}
        for item_id, category in conn.execute(
            sa.select(item_categories_table.c.item_id, item_categories_table.c.category)
            .where(item_categories_table.c.item_id.in_(ids))
            .order_by(item_categories_table.c.item_id, item_categories_table.c.position)
        ):
            categories[item_id].append(category)
        alternates: dict[int, list[tuple[str, str]]] = {row_id: [] for row_id in ids}
        for item_id, language, url in conn.execute(
            sa.select(alternates_table.c.item_id, items_table.c.language, items_table.c.url)
            .join(items_table, items_table.c.id == alternates_table.c.other_id)
            .where(alternates_table.c.item_id.in_(ids), items_table.c.url.is_not(None))
            .order_by(alternates_table.c.item_id, items_table.c.language, items_table.c.url)
        ):
            alternates[item_id].append((language, url))
        keys: dict[int, list[str]] = {row_id: [] for row_id in ids}
        for item_id, key in conn.execute(
            sa.select(item_keys_table.c.item_id, item_keys_table.c.key).where(
                item_keys_table.c.item_id.in_(ids)
            )
        ):
            keys[item_id].append(key)
        return [
            StoredItem(
                entry_id=row.entry_id,
                url=row.url,
                title=row.title,
                summary_html=row.summary_html,
                summary_text=row.summary_text,
                categories=tuple(categories[row.id]),
                published=row.published,
                date_from_source=row.date_from_source,
                updated=row.updated,
                first_seen=row.first_seen,
                image=row.image,
                language=row.language,
                content_source=row.content_source,
                keys=tuple(sorted(keys[row.id])),
                sources=tuple(json.loads(row.sources)),
                content_hash=row.content_hash,
                row_id=row.id,
                duplicate_of=row.duplicate_of,
                alternates=tuple(alternates[row.id]),
            )
            for row in rows
        ]
