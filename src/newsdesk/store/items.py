"""Items and their identity keys: lookups by key, rows to records and back, the newest per category.

Functions over a connection; the Store decides which transaction they run in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from newsdesk.models import StoredItem
from newsdesk.normalize.categories import ancestors
from newsdesk.store.database import Conn, placeholders, utc

# A skip-scan over the category index (SQLite and PostgreSQL both run it), keeping the categories
# that still have an item not merged into another story.
DISTINCT_CATEGORIES = """
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
COLUMNS = (
    "id, entry_id, url, title, summary_html, summary_text, content_html, image, language, published, "
    "date_from_source, updated, first_seen, seen_rank, content_source, content_hash, sources, duplicate_of"
)
SELECT = f"SELECT {COLUMNS} FROM items"
# Newest first; stories of one date first seen in one refresh (undated cards, most often) in the order
# of the source list and the page, then as they were stored.
NEWEST = "ORDER BY published DESC, first_seen DESC, seen_rank, id"
VALUES = (
    "entry_id",
    "url",
    "title",
    "summary_html",
    "summary_text",
    "content_html",
    "image",
    "language",
    "published",
    "date_from_source",
    "updated",
    "first_seen",
    "seen_rank",
    "content_source",
    "content_hash",
    "sources",
)
INSERT = (
    f"INSERT INTO items ({', '.join(VALUES)}, signature) "
    f"VALUES ({', '.join(':' + name for name in VALUES)}, :signature) RETURNING id"
)
UPDATE = f"UPDATE items SET {', '.join(f'{name} = :{name}' for name in VALUES)} WHERE id = :id"


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


def lookup(conn: Conn, wanted: Iterable[str]) -> KnownItems:
    """The stored items these keys point at, in a handful of queries however many keys."""
    owners: dict[str, int] = {}
    for chunk in chunks(sorted(wanted)):
        among, params = placeholders("key", chunk)
        owners.update(conn.execute(f"SELECT key, item_id FROM item_keys WHERE key IN {among}", params))
    records: dict[int, StoredItem] = {}
    for chunk in chunks(sorted(set(owners.values()))):
        among, params = placeholders("id", chunk)
        loaded = load(conn, f"{SELECT} WHERE id IN {among}", params, translations=False)
        records.update((record.row_id, record) for record in loaded if record.row_id is not None)
    return KnownItems({key: records[row_id] for key, row_id in owners.items() if row_id in records})


def known_keys(conn: Conn, wanted: Iterable[str]) -> set[str]:
    """Which of these identity keys a stored story already has."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(wanted))):
        among, params = placeholders("key", chunk)
        found.update(
            row[0] for row in conn.execute(f"SELECT key FROM item_keys WHERE key IN {among}", params)
        )
    return found


def load_one(conn: Conn, row_id: int) -> StoredItem:
    return load(conn, f"{SELECT} WHERE id = :id", {"id": row_id})[0]


def distinct_updated(conn: Conn, record: StoredItem) -> StoredItem:
    """Give no two items the same `updated`: feed readers and validators treat a tie as a dupe.

    A taken moment moves to one second after the latest taken within the day that follows: two
    queries on the `updated` index, however many stories one refresh stores at one moment (a page
    of 2,000 undated cards would otherwise read all the others for each)."""
    moment = record.updated
    params = {"moment": moment, "id": record.row_id or -1}
    if conn.first("SELECT id FROM items WHERE updated = :moment AND id != :id LIMIT 1", params) is None:
        return record
    latest = utc(
        conn.scalar(
            "SELECT max(updated) FROM items WHERE updated >= :moment AND updated < :until AND id != :id",
            {**params, "until": moment + timedelta(days=1)},
        )
    )
    assert latest is not None
    return replace(record, updated=latest + timedelta(seconds=1))


def save(
    conn: Conn, record: StoredItem, known: KnownItems | None = None, *, signature: bytes | None = None
) -> int:
    """Insert (no row_id) or update one record with its categories and keys; returns its row id.

    A new record's keys were just looked up under the write lock and found free; an updated one
    may bring keys some other row already has (those stay with that row).
    """
    record = distinct_updated(conn, record)
    if known is not None:
        known.written.update(record.keys)
    values: dict[str, Any] = {name: getattr(record, name) for name in VALUES}
    values["sources"] = json.dumps(list(record.sources))
    row_id = record.row_id
    taken: set[str] = set()
    if row_id is None:
        row_id = conn.insert(INSERT, {**values, "signature": signature})
    else:
        conn.execute(UPDATE, {**values, "id": row_id})
        conn.execute("DELETE FROM item_categories WHERE item_id = :id", {"id": row_id})
        if record.keys:
            among, params = placeholders("key", record.keys)
            taken = set(conn.scalars(f"SELECT key FROM item_keys WHERE key IN {among}", params))
    conn.executemany(
        "INSERT INTO item_categories (item_id, category, position, published) "
        "VALUES (:item_id, :category, :position, :published)",
        [
            {"item_id": row_id, "category": category, "position": position, "published": record.published}
            for position, category in enumerate(record.categories)
        ],
    )
    conn.executemany(
        "INSERT INTO item_keys (key, item_id) VALUES (:key, :item_id)",
        [{"key": key, "item_id": row_id} for key in record.keys if key not in taken],
    )
    return int(row_id)


def latest(conn: Conn, category: str | None, limit: int) -> list[StoredItem]:
    """Newest first; a category includes its sub-categories; None means every item.

    Reads about `limit` rows per category off the indexes, whatever the size of the history.
    """
    if category is None:
        return load(conn, f"{SELECT} WHERE duplicate_of IS NULL {NEWEST} LIMIT :limit", {"limit": limit})
    members = [c for c in categories_in_use(conn) if category in ancestors(c)]
    rows = {row[3]: row for member in members for row in _newest_in(conn, member, limit)}
    ids = [row[3] for row in sorted(rows.values())[:limit]]
    if not ids:
        return []
    among, params = placeholders("id", ids)
    return load(conn, f"{SELECT} WHERE duplicate_of IS NULL AND id IN {among} {NEWEST}", params)


NEWEST_IN = """
    SELECT items.id, items.published, items.first_seen, items.seen_rank
    FROM item_categories JOIN items ON items.id = item_categories.item_id
    WHERE item_categories.category = :category AND items.duplicate_of IS NULL
"""


def _newest_in(conn: Conn, category: str, limit: int) -> list[tuple[float, float, int, int]]:
    """The newest `limit` published items of one category, and any tied with the last of them, as
    sort keys in NEWEST's order: (-published, -first seen, rank, id)."""
    params: dict[str, Any] = {"category": category, "limit": limit}
    rows = conn.rows(f"{NEWEST_IN} ORDER BY item_categories.published DESC LIMIT :limit", params)
    if len(rows) == limit:  # ties at the boundary are ordered by first sighting later: fetch them all
        rows += conn.rows(f"{NEWEST_IN} AND item_categories.published = :published", {
            "category": category, "published": utc(rows[-1].published)
        })  # fmt: skip
    return [_newest_key(row) for row in rows]


def _newest_key(row: Any) -> tuple[float, float, int, int]:
    published, first_seen = utc(row.published), utc(row.first_seen)
    assert published is not None and first_seen is not None
    return (-published.timestamp(), -first_seen.timestamp(), row.seen_rank, row.id)


def categories_in_use(conn: Conn) -> set[str]:
    """Categories with a published item: one index seek per category, not a pass over the items."""
    return set(conn.scalars(DISTINCT_CATEGORIES))


def load(
    conn: Conn, query: str, params: Mapping[str, Any] | None = None, *, translations: bool = True
) -> list[StoredItem]:
    """Rows of `query` (a SELECT of COLUMNS) to records, with their categories (in order), translations
    and keys: four queries in all."""
    rows = conn.rows(query, params)
    if not rows:
        return []
    ids = [row.id for row in rows]
    categories: dict[int, list[str]] = {row_id: [] for row_id in ids}
    alternates: dict[int, list[tuple[str, str]]] = {row_id: [] for row_id in ids}
    keys: dict[int, list[str]] = {row_id: [] for row_id in ids}
    for chunk in chunks(ids):
        among, params = placeholders("id", chunk)
        for item_id, category in conn.execute(
            f"SELECT item_id, category FROM item_categories WHERE item_id IN {among} "
            "ORDER BY item_id, position",
            params,
        ):
            categories[item_id].append(category)
        if translations:
            for item_id, language, url in conn.execute(
                "SELECT alternates.item_id, items.language, items.url FROM alternates "
                "JOIN items ON items.id = alternates.other_id "
                f"WHERE alternates.item_id IN {among} AND items.url IS NOT NULL "
                "ORDER BY alternates.item_id, items.language, items.url",
                params,
            ):
                alternates[item_id].append((language, url))
        for item_id, key in conn.execute(
            f"SELECT item_id, key FROM item_keys WHERE item_id IN {among}", params
        ):
            keys[item_id].append(key)
    return [
        StoredItem(
            entry_id=row.entry_id,
            url=row.url,
            title=row.title,
            summary_html=row.summary_html,
            summary_text=row.summary_text,
            content_html=row.content_html or "",
            categories=tuple(categories[row.id]),
            published=_time(row.published),
            date_from_source=bool(row.date_from_source),
            updated=_time(row.updated),
            first_seen=_time(row.first_seen),
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


def _time(value: Any) -> datetime:
    moment = utc(value)
    assert moment is not None  # the column is NOT NULL
    return moment
