"""Sources' bookkeeping: refresh attempts and failures, page memory, the robots.txt cache, meta values.

Functions over a connection; the Store decides which transaction they run in. Every write here runs
under the store's write lock, so "update, else insert" cannot race another process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from newsdesk.models import PageMemo, SourceState
from newsdesk.store.database import Conn, placeholders, utc

# Changes older than this are pruned: a publisher that far behind publishes everything instead.
KEEP_CHANGES = timedelta(days=2)
PRUNED = "changes_pruned_through"

ATTEMPT = """
    INSERT INTO sources (name, attempts, failures, failures_total, last_attempt, last_success,
                         last_error, error_kind, retry_after, disabled_config)
    VALUES (:name, 1, :failed, :failed, :now, :success, :error, :kind, :retry_after, :disabled)
    ON CONFLICT (name) DO UPDATE SET
        attempts = sources.attempts + 1,
        failures = CASE WHEN :failed = 1 THEN sources.failures + 1 ELSE 0 END,
        failures_total = sources.failures_total + :failed,
        last_attempt = :now,
        last_success = CASE WHEN :failed = 1 THEN sources.last_success ELSE :now END,
        last_error = :error, error_kind = :kind, retry_after = :retry_after,
        disabled_config = :disabled
"""
PAGE = """
    INSERT INTO source_pages (source, url, item_count, last_fetch, etag, last_modified, body_hash,
                              config_hash)
    VALUES (:source, :url, :count, :now, :etag, :last_modified, :body_hash, :config_hash)
    ON CONFLICT (source, url) DO UPDATE SET
        item_count = excluded.item_count, last_fetch = excluded.last_fetch, etag = excluded.etag,
        last_modified = excluded.last_modified, body_hash = excluded.body_hash,
        config_hash = excluded.config_hash
"""
SET_META = """
    INSERT INTO meta (key, value) VALUES (:key, :value)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""


def save_attempt(
    conn: Conn,
    source: str,
    now: datetime,
    error: str | None,
    error_kind: str | None = None,
    retry_after: datetime | None = None,
    disabled_config: str | None = None,
) -> None:
    conn.execute(
        ATTEMPT,
        {
            "name": source,
            "failed": 0 if error is None else 1,
            "now": now,
            "success": now if error is None else None,
            "error": error,
            "kind": error_kind if error else None,
            "retry_after": retry_after,
            "disabled": disabled_config,
        },
    )


def save_page(
    conn: Conn,
    url: str,
    source: str,
    count: int,
    now: datetime,
    memo: PageMemo,
    config_hash: str | None = None,
) -> None:
    conn.execute(
        PAGE,
        {
            "source": source,
            "url": url,
            "count": count,
            "now": now,
            "etag": memo.etag,
            "last_modified": memo.last_modified,
            "body_hash": memo.body_hash,
            "config_hash": config_hash,
        },
    )


def page_memos(conn: Conn, source: str, urls: Iterable[str], config_hash: str) -> dict[str, PageMemo]:
    """What this source remembers of its pages; validators and digest only from this same config."""
    wanted = list(urls)
    if not wanted:
        return {}
    among, params = placeholders("url", wanted)
    rows = conn.rows(
        "SELECT url, item_count, etag, last_modified, body_hash, config_hash FROM source_pages "
        f"WHERE source = :source AND url IN {among}",
        {"source": source, **params},
    )
    return {
        row.url: PageMemo(row.etag, row.last_modified, row.body_hash, row.item_count)
        if row.config_hash == config_hash
        else PageMemo(item_count=row.item_count)
        for row in rows
    }


STATE_COLUMNS = (
    "SELECT name, last_attempt, last_success, failures, last_error, error_kind, retry_after, "
    "disabled_config, attempts, failures_total FROM sources"
)


def source_states(conn: Conn) -> dict[str, SourceState]:
    return {row.name: _state(row) for row in conn.rows(STATE_COLUMNS)}


def source_state(conn: Conn, name: str) -> SourceState | None:
    """One source's bookkeeping (a scheduler or worker asks for one before each refresh)."""
    row = conn.first(f"{STATE_COLUMNS} WHERE name = :name", {"name": name})
    return None if row is None else _state(row)


def _state(row: Any) -> SourceState:
    return SourceState(
        name=row.name,
        last_attempt=utc(row.last_attempt),
        last_success=utc(row.last_success),
        failures=row.failures,
        last_error=row.last_error,
        error_kind=row.error_kind,
        retry_after=utc(row.retry_after),
        disabled_config=row.disabled_config,
        attempts=row.attempts,
        failures_total=row.failures_total,
    )


def robots(conn: Conn, origin: str) -> tuple[str | None, datetime] | None:
    row = conn.first("SELECT body, expires FROM robots WHERE origin = :origin", {"origin": origin})
    expires = None if row is None else utc(row.expires)
    return None if row is None or expires is None else (row.body, expires)


def save_robots(conn: Conn, origin: str, body: str | None, expires: datetime) -> None:
    conn.execute("DELETE FROM robots WHERE origin = :origin", {"origin": origin})
    conn.execute(
        "INSERT INTO robots (origin, body, expires) VALUES (:origin, :body, :expires)",
        {"origin": origin, "body": body, "expires": expires},
    )


def meta(conn: Conn, key: str) -> str | None:
    value: str | None = conn.scalar("SELECT value FROM meta WHERE key = :key", {"key": key})
    return value


def set_meta(conn: Conn, key: str, value: str) -> None:
    conn.execute(SET_META, {"key": key, "value": value})


def record_change(conn: Conn, categories: Iterable[str], now: datetime) -> None:
    """Note which categories a write touched; changes older than KEEP_CHANGES are pruned, and the
    highest id pruned is kept so that a publisher that far behind knows it must publish everything."""
    conn.execute(
        "INSERT INTO changes (categories, at) VALUES (:categories, :at)",
        {"categories": json.dumps(sorted(categories)), "at": now},
    )
    # max(+id): the `at` index finds the few old rows; max(id) would walk every row from the newest.
    old = conn.scalar("SELECT max(+id) FROM changes WHERE at < :cutoff", {"cutoff": now - KEEP_CHANGES})
    if old is not None:
        conn.execute("DELETE FROM changes WHERE id <= :old", {"old": old})
        pruned = int(meta(conn, PRUNED) or 0)
        set_meta(conn, PRUNED, str(max(pruned, old)))


def newest_change(conn: Conn) -> int:
    return int(conn.scalar("SELECT max(id) FROM changes") or 0)


def changes_since(conn: Conn, mark: int) -> tuple[int, set[str] | None]:
    """(newest change id, categories changed after `mark`); None: unknown, publish everything (the
    changes after `mark` were pruned, or the store is not the one `mark` was read from)."""
    newest = newest_change(conn)
    pruned = int(meta(conn, PRUNED) or 0)
    if newest < mark or mark < pruned:
        return newest, None
    rows = conn.scalars("SELECT categories FROM changes WHERE id > :mark", {"mark": mark})
    return newest, {category for row in rows for category in json.loads(row)}
