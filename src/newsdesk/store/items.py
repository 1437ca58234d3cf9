"""Items and their identity keys: lookups by key, rows to records and back, the newest per category.

Functions over a connection; the Store decides which transaction they run in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsdesk.models import StoredItem
from newsdesk.normalize.categories import ancestors
from newsdesk.store.schema import alternates_table, item_categories_table, item_keys_table, items_table

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
# Newest first; stories of one date first seen in one refresh (undated cards, most often) in the order
# of the source list and the page, then as they were stored.
NEWEST = (
    items_table.c.published.desc(),
    items_table.c.first_seen.desc(),
    items_table.c.seen_rank,
    items_table.c.id,
)


def newest_first(row: Any) -> tuple[float, float, int, int]:
    """NEWEST, for rows already read (a category's newest, gathered from its sub-categories)."""
    return (-row.published.timestamp(), -row.first_seen.timestamp(), row.seen_rank, row.id)


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


def chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def lookup(conn: Connection, wanted: Iterable[str]) -> KnownItems:
    """The stored items these keys point at, in a handful of queries however many keys."""
    owners: dict[str, int] = {}
    for chunk in chunks(sorted(wanted)):
        query = sa.select(item_keys_table.c.key, item_keys_table.c.item_id)
        owners.update(
            (key, item_id) for key, item_id in conn.execute(query.where(item_keys_table.c.key.in_(chunk)))
        )
    records: dict[int, StoredItem] = {}
    for chunk in chunks(sorted(set(owners.values()))):
        query = sa.select(items_table).where(items_table.c.id.in_(chunk))
        loaded = load(conn, query, translations=False)  # decisions never look at them
        records.update((record.row_id, record) for record in loaded if record.row_id is not None)
    return KnownItems({key: records[row_id] for key, row_id in owners.items() if row_id in records})


def load_one(conn: Connection, row_id: int) -> StoredItem:
    return load(conn, sa.select(items_table).where(items_table.c.id == row_id))[0]


def distinct_updated(conn: Connection, record: StoredItem) -> StoredItem:
    """Give no two items the same `updated`: feed readers and validators treat a tie as a dupe.

    A taken moment moves to one second after the latest taken within the day that follows: two
    queries on the `updated` index, however many stories one refresh stores at one moment (a page
    of 2,000 undated cards would otherwise read all the others for each)."""
    moment = record.updated
    others = items_table.c.id != (record.row_id or -1)
    taken = conn.execute(
        sa.select(items_table.c.id).where(items_table.c.updated == moment, others).limit(1)
    ).first()
    if taken is None:
        return record
    latest = conn.execute(
        sa.select(sa.func.max(items_table.c.updated)).where(
            items_table.c.updated >= moment, items_table.c.updated < moment + timedelta(days=1), others
        )
    ).scalar_one()
    return replace(record, updated=latest + timedelta(seconds=1))


def save(
    conn: Connection, record: StoredItem, known: KnownItems | None = None, *, signature: bytes | None = None
) -> int:
    """Insert (no row_id) or update one record with its categories and keys; returns its row id.

    A new record's keys were just looked up under the write lock and found free; an updated one
    may bring keys some other row already has (those stay with that row).
    """
    record = distinct_updated(conn, record)
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
        "seen_rank": record.seen_rank,
        "content_source": record.content_source,
        "content_hash": record.content_hash,
        "sources": json.dumps(list(record.sources)),
    }
    row_id = record.row_id
    taken: set[str] = set()
    if row_id is None:
        inserted = conn.execute(
            items_table.insert().values(signature=signature, **values)
        ).inserted_primary_key
        assert inserted is not None
        row_id = inserted[0]
    else:
        conn.execute(items_table.update().where(items_table.c.id == row_id).values(**values))
        conn.execute(item_categories_table.delete().where(item_categories_table.c.item_id == row_id))
        taken = set(
            conn.execute(
                sa.select(item_keys_table.c.key).where(item_keys_table.c.key.in_(record.keys))
            ).scalars()
        )
    if record.categories:
        conn.execute(
            item_categories_table.insert(),
            [
                {"item_id": row_id, "category": category, "position": position, "published": record.published}
                for position, category in enumerate(record.categories)
            ],
        )
    fresh = [{"key": key, "item_id": row_id} for key in record.keys if key not in taken]
    if fresh:
        conn.execute(item_keys_table.insert(), fresh)
    return int(row_id)


def latest(conn: Connection, category: str | None, limit: int) -> list[StoredItem]:
    """Newest first; a category includes its sub-categories; None means every item.

    Reads about `limit` rows per category off the indexes, whatever the size of the history.
    """
    query = sa.select(items_table).where(items_table.c.duplicate_of.is_(None))
    if category is None:
        return load(conn, query.order_by(*NEWEST).limit(limit))
    members = [c for c in categories_in_use(conn) if category in ancestors(c)]
    rows = {row.id: row for member in members for row in _newest_in(conn, member, limit)}
    chosen = sorted(rows.values(), key=newest_first)
    ids = [row.id for row in chosen[:limit]]
    return load(conn, query.where(items_table.c.id.in_(ids)).order_by(*NEWEST))


def _newest_in(conn: Connection, category: str, limit: int) -> list[Any]:
    """The newest `limit` published items of one category, and any tied with the last of them."""
    query = (
        sa.select(
            items_table.c.id, items_table.c.published, items_table.c.first_seen, items_table.c.seen_rank
        )
        .join_from(item_categories_table, items_table, items_table.c.id == item_categories_table.c.item_id)
        .where(item_categories_table.c.category == category, items_table.c.duplicate_of.is_(None))
    )
    rows = list(conn.execute(query.order_by(item_categories_table.c.published.desc()).limit(limit)))
    if len(rows) == limit:  # ties at the boundary are ordered by first sighting later: fetch them all
        rows += conn.execute(query.where(item_categories_table.c.published == rows[-1].published))
    return rows


def categories_in_use(conn: Connection) -> set[str]:
    """Categories with a published item: one index seek per category, not a pass over the items."""
    return set(conn.execute(DISTINCT_CATEGORIES).scalars())


def load(conn: Connection, query: sa.Select[Any], *, translations: bool = True) -> list[StoredItem]:
    """Rows to records, with their categories (in order), translations and keys: four queries in all."""
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
    for item_id, language, url in (
        ()
        if not translations
        else conn.execute(
            sa.select(alternates_table.c.item_id, items_table.c.language, items_table.c.url)
            .join(items_table, items_table.c.id == alternates_table.c.other_id)
            .where(alternates_table.c.item_id.in_(ids), items_table.c.url.is_not(None))
            .order_by(alternates_table.c.item_id, items_table.c.language, items_table.c.url)
        )
    ):
        alternates[item_id].append((language, url))
    keys: dict[int, list[str]] = {row_id: [] for row_id in ids}
    for item_id, key in conn.execute(
        sa.select(item_keys_table.c.item_id, item_keys_table.c.key).where(item_keys_table.c.item_id.in_(ids))
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
            seen_rank=row.seen_rank,
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
