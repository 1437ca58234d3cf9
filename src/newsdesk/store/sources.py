"""Sources' bookkeeping: refresh attempts and failures, page memory, the robots.txt cache, meta values.

Functions over a connection; the Store decides which transaction they run in. Every write here runs
under the store's write lock, so "update, else insert" cannot race another process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsdesk.models import PageMemo, SourceState
from newsdesk.store.schema import changes_table, meta_table, pages_table, robots_table, sources_table

# Changes older than this are pruned: a publisher that far behind publishes everything instead.
KEEP_CHANGES = timedelta(days=2)
PRUNED = "changes_pruned_through"


def save_attempt(
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


def save_page(
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
        pages_table.update().where(pages_table.c.source == source, pages_table.c.url == url).values(**values)
    ).rowcount
    if not changed:
        conn.execute(pages_table.insert().values(url=url, **values))


def page_memos(conn: Connection, source: str, urls: Iterable[str], config_hash: str) -> dict[str, PageMemo]:
    """What this source remembers of its pages; validators and digest only from this same config."""
    rows = conn.execute(
        sa.select(pages_table).where(pages_table.c.source == source, pages_table.c.url.in_(list(urls)))
    )
    return {
        row.url: PageMemo(row.etag, row.last_modified, row.body_hash, row.item_count)
        if row.config_hash == config_hash
        else PageMemo(item_count=row.item_count)
        for row in rows
    }


def source_states(conn: Connection) -> dict[str, SourceState]:
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
        )
        for row in conn.execute(sa.select(sources_table))
    }


def robots(conn: Connection, origin: str) -> tuple[str | None, datetime] | None:
    row = conn.execute(sa.select(robots_table).where(robots_table.c.origin == origin)).first()
    return None if row is None else (row.body, row.expires)


def save_robots(conn: Connection, origin: str, body: str | None, expires: datetime) -> None:
    conn.execute(robots_table.delete().where(robots_table.c.origin == origin))
    conn.execute(robots_table.insert().values(origin=origin, body=body, expires=expires))


def meta(conn: Connection, key: str) -> str | None:
    value: str | None = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == key)).scalar()
    return value


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(meta_table.delete().where(meta_table.c.key == key))
    conn.execute(meta_table.insert().values(key=key, value=value))


def record_change(conn: Connection, categories: Iterable[str], now: datetime) -> None:
    """Note which categories a write touched; changes older than KEEP_CHANGES are pruned, and the
    highest id pruned is kept so that a publisher that far behind knows it must publish everything."""
    conn.execute(changes_table.insert().values(categories=json.dumps(sorted(categories)), at=now))
    old = conn.execute(
        sa.select(sa.func.max(changes_table.c.id)).where(changes_table.c.at < now - KEEP_CHANGES)
    ).scalar()
    if old is not None:
        conn.execute(changes_table.delete().where(changes_table.c.id <= old))
        pruned = int(meta(conn, PRUNED) or 0)
        set_meta(conn, PRUNED, str(max(pruned, old)))


def newest_change(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(changes_table.c.id))).scalar() or 0)


def changes_since(conn: Connection, mark: int) -> tuple[int, set[str] | None]:
    """(newest change id, categories changed after `mark`); None: unknown, publish everything (the
    changes after `mark` were pruned, or the store is not the one `mark` was read from)."""
    newest = newest_change(conn)
    pruned = int(meta(conn, PRUNED) or 0)
    if newest < mark or mark < pruned:
        return newest, None
    rows = conn.execute(sa.select(changes_table.c.categories).where(changes_table.c.id > mark)).scalars()
    return newest, {category for row in rows for category in json.loads(row)}
