"""The store over a real SQLite file and a real PostgreSQL: one transaction per refresh, identity across
runs, UTC times."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.store import Store

from helpers import make_item

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def open_store(tmp_path: Path) -> Store:
    """A SQLite store, for the tests of what only SQLite has (WAL, its query plans)."""
    store = Store(f"sqlite:///{tmp_path / 'db' / 'newsdesk.db'}", site_host="news.example.org")
    store.create(NOW)
    return store


@pytest.fixture
def store(any_database: str) -> Iterator[Store]:
    """A new store on each backend."""
    opened = Store(any_database, site_host="news.example.org")
    opened.create(NOW)
    yield opened
    opened.close()


def test_schema_created_in_wal_mode_and_reopened(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.record_refresh("s", [make_item(1)], page_counts={"u": 1}, now=NOW)
    store.close()
    again = open_store(tmp_path)
    assert again.created() == NOW  # created once, not on every open
    assert again.item_count() == 1
    again.close()
    with sqlite3.connect(tmp_path / "db" / "newsdesk.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_refresh_counts_and_second_run_is_unchanged(store: Store) -> None:
    items = [make_item(n) for n in range(1, 6)]
    first = store.record_refresh("s", items + items, page_counts={"u": 10}, now=NOW)
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)
    assert first.categories_touched == {"company/innovation", "research"}
    second = store.record_refresh("s", items, page_counts={"u": 5}, now=NOW + timedelta(hours=1))
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assert second.categories_touched == frozenset()
    assert store.item_count() == 5


def test_latest_items_newest_first_with_subcategories_and_limit(store: Store) -> None:
    store.record_refresh("s", [make_item(n) for n in range(1, 9)], page_counts={}, now=NOW)
    company = store.latest_items("company", 50)
    assert [r.title for r in company] == ["Story 7", "Story 5", "Story 3", "Story 1"]
    assert [r.title for r in store.latest_items(None, 3)] == ["Story 8", "Story 7", "Story 6"]
    assert store.latest_items("comp", 50) == []  # a prefix that is not a parent matches nothing
    assert store.categories_in_use() == {"company/innovation", "research"}


def test_a_category_feed_orders_ties_and_skips_merged_stories_like_the_whole_feed(store: Store) -> None:
    same_day = datetime(2026, 11, 20, tzinfo=UTC)  # date-only sources: many items share `published`
    items = [make_item(n, published=same_day, categories=("research",)) for n in range(1, 7)]
    items.append(make_item(9, published=same_day, categories=("research/labs",)))
    store.record_refresh("s", items, page_counts={}, now=NOW)
    everything = [r.entry_id for r in store.latest_items(None, 50)]
    for limit in (1, 2, 3, 7):
        # The feed of a category is the whole feed filtered, cut at `limit`, ties included.
        assert [r.entry_id for r in store.latest_items("research", limit)] == everything[:limit]
    with store.db.write() as conn:
        conn.execute("UPDATE items SET duplicate_of = 1 WHERE id = 2")
    assert all(r.row_id != 2 for r in store.latest_items("research", 50))
    assert len(store.latest_items("research", 50)) == 6


def test_a_store_from_before_category_dates_is_upgraded(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.record_refresh("s", [make_item(n) for n in range(1, 9)], page_counts={}, now=NOW)
    store.close()
    with sqlite3.connect(tmp_path / "db" / "newsdesk.db") as conn:  # as an older newsdesk left it
        conn.execute("DROP INDEX ix_item_categories_newest")
        conn.execute("ALTER TABLE item_categories DROP COLUMN published")
        conn.execute("DROP TABLE newsdesk_schema_version")  # it came before schema migrations, and before
        conn.execute("DROP TABLE changes")  # the table of changes,
        conn.execute("DROP TABLE category_labels")  # labels as written
        conn.execute("ALTER TABLE items DROP COLUMN seen_rank")  # and page order,
        conn.execute("DROP INDEX ix_items_language_published")  # and languages by date
    upgraded = open_store(tmp_path)
    assert [r.title for r in upgraded.latest_items("company", 2)] == ["Story 7", "Story 5"]
    with sqlite3.connect(tmp_path / "db" / "newsdesk.db") as conn:
        assert conn.execute("SELECT count(*) FROM item_categories WHERE published IS NULL").fetchone() == (0,)
        plan = " ".join(
            str(row)
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT item_id FROM item_categories WHERE category = 'research' "
                "ORDER BY published DESC LIMIT 5"
            )
        )
        assert "ix_item_categories_newest" in plan


def test_times_come_back_aware_utc(store: Store) -> None:
    paris = datetime(2026, 11, 20, 9, 30, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    store.record_refresh("s", [make_item(1, published=paris)], page_counts={}, now=NOW)
    (record,) = store.latest_items(None, 1)
    assert record.published == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert record.published.tzinfo is UTC


def test_no_two_items_share_updated(store: Store) -> None:
    same = datetime(2026, 11, 20, tzinfo=UTC)
    store.record_refresh("s", [make_item(n, published=same) for n in range(1, 5)], page_counts={}, now=NOW)
    records = store.latest_items(None, 10)
    assert len({r.updated for r in records}) == 4
    assert all(r.published == same for r in records)


def test_source_state_failures_and_reset(store: Store) -> None:
    store.record_failure("s", now=NOW, error="HTTP 500")
    store.record_failure("s", now=NOW + timedelta(minutes=1), error="HTTP 503")
    state = store.source_states()["s"]
    assert state.failures == 2 and state.last_error == "HTTP 503" and state.last_success is None
    store.record_refresh("s", [make_item(1)], page_counts={"u": 1}, now=NOW + timedelta(minutes=2))
    state = store.source_states(item_counts=True)["s"]
    assert state.failures == 0 and state.last_error is None
    assert state.last_success == NOW + timedelta(minutes=2)
    assert state.items == 1
    assert {url: memo.item_count for url, memo in store.page_memos("s", ["u", "other"], "any").items()} == {
        "u": 1
    }


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    bad = make_item(2, published=datetime(2026, 11, 2))  # naive: refused by the store
    with pytest.raises(ValueError, match="naive datetime"):
        store.record_refresh("s", [make_item(1), bad], page_counts={"u": 2}, now=NOW)
    assert store.item_count() == 0
    assert store.page_memos("s", ["u"], "any") == {}


def test_items_per_source_counts_a_story_for_every_source_that_carries_it(store: Store) -> None:
    store.record_refresh("a", [make_item(1, source="a"), make_item(2, source="a")], page_counts={}, now=NOW)
    store.record_refresh("b", [make_item(2, source="b"), make_item(3, source="b")], page_counts={}, now=NOW)
    assert store.items_per_source() == {"a": 2, "b": 2}
    states = store.source_states(item_counts=True)
    assert (states["a"].items, states["b"].items) == (2, 2)
    assert store.source_states()["a"].items is None  # not counted unless asked


def test_changes_tell_every_publisher_what_to_publish_and_when_to_publish_everything(store: Store) -> None:
    start, _ = store.changes_since(0)
    store.record_refresh("s", [make_item(1)], page_counts={}, now=NOW)
    mark, changed = store.changes_since(start)
    assert changed == {"company/innovation"}
    store.record_refresh("s", [make_item(1)], page_counts={}, now=NOW)  # nothing new: no change noted
    assert store.changes_since(mark) == (mark, set())
    later = NOW + timedelta(days=3)  # the first change is pruned by the next one
    store.record_refresh("s", [make_item(2)], page_counts={}, now=later)
    newest, changed = store.changes_since(start)
    assert newest > mark and changed is None  # too far behind: publish everything
    assert store.changes_since(mark) == (newest, {"research"})
    assert store.changes_since(newest + 5)[1] is None  # a mark from another store


def test_a_threads_connection_is_closed_when_the_thread_ends(store: Store) -> None:
    """Short-lived threads (a pool made per batch) must not leave a server connection each behind."""
    import gc
    import threading

    raws = []

    def read() -> None:
        with store.db.read() as conn:
            conn.scalar("SELECT 1")
            raws.append(conn.raw)

    for _ in range(3):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    gc.collect()
    for raw in raws:
        if store.db.dialect == "postgresql":
            assert raw.closed
        else:
            with pytest.raises(sqlite3.ProgrammingError):
                raw.execute("SELECT 1")
    with store.db.read() as conn:  # the store goes on, in this thread
        assert conn.scalar("SELECT 1") == 1
