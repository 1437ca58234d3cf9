"""The store over a real SQLite file: one transaction per refresh, identity across runs, UTC times."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from newsdesk.models import Item
from newsdesk.store import Store

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_item(n: int, **fields) -> Item:
    base = {
        "source": "s",
        "url": f"https://www.example.org/news/{n}",
        "title": f"Story {n}",
        "summary_html": f"Summary {n}",
        "summary_text": f"Summary {n}",
        "categories": ("company/innovation",) if n % 2 else ("research",),
        "published": datetime(2026, 11, n, 9, 0, tzinfo=UTC),
        "image": None,
        "language": "en",
        "seen_at": NOW,
    }
    base.update(fields)
    return Item(**base)


def open_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'db' / 'newsdesk.db'}", site_host="news.example.org")
    store.create(NOW)
    return store


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


def test_refresh_counts_and_second_run_is_unchanged(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    items = [make_item(n) for n in range(1, 6)]
    first = store.record_refresh("s", items + items, page_counts={"u": 10}, now=NOW)
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)
    assert first.categories_touched == {"company/innovation", "research"}
    second = store.record_refresh("s", items, page_counts={"u": 5}, now=NOW + timedelta(hours=1))
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assert second.categories_touched == frozenset()
    assert store.item_count() == 5


def test_latest_items_newest_first_with_subcategories_and_limit(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.record_refresh("s", [make_item(n) for n in range(1, 9)], page_counts={}, now=NOW)
    company = store.latest_items("company", 50)
    assert [r.title for r in company] == ["Story 7", "Story 5", "Story 3", "Story 1"]
    assert [r.title for r in store.latest_items(None, 3)] == ["Story 8", "Story 7", "Story 6"]
    assert store.latest_items("comp", 50) == []  # a prefix that is not a parent matches nothing
    assert store.categories_in_use() == {"company/innovation", "research"}


def test_times_come_back_aware_utc(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    paris = datetime(2026, 11, 20, 9, 30, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")
    )
    store.record_refresh("s", [make_item(1, published=paris)], page_counts={}, now=NOW)
    (record,) = store.latest_items(None, 1)
    assert record.published == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert record.published.tzinfo is UTC


def test_no_two_items_share_updated(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    same = datetime(2026, 11, 20, tzinfo=UTC)
    store.record_refresh("s", [make_item(n, published=same) for n in range(1, 5)], page_counts={}, now=NOW)
    records = store.latest_items(None, 10)
    assert len({r.updated for r in records}) == 4
    assert all(r.published == same for r in records)


def test_source_state_failures_and_reset(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.record_failure("s", now=NOW, error="HTTP 500")
    store.record_failure("s", now=NOW + timedelta(minutes=1), error="HTTP 503")
    state = store.source_states()["s"]
    assert state.failures == 2 and state.last_error == "HTTP 503" and state.last_success is None
    store.record_refresh("s", [make_item(1)], page_counts={"u": 1}, now=NOW + timedelta(minutes=2))
    state = store.source_states()["s"]
    assert state.failures == 0 and state.last_error is None
    assert state.last_success == NOW + timedelta(minutes=2)
    assert state.items == 1
    assert store.page_item_counts("s", ["u", "other"]) == {"u": 1}


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    bad = make_item(2, published=datetime(2026, 11, 2))  # naive: refused by the store
    with pytest.raises(StatementError, match="naive datetime"):
        store.record_refresh("s", [make_item(1), bad], page_counts={"u": 2}, now=NOW)
    assert store.item_count() == 0
    assert store.page_item_counts("s", ["u"]) == {}
