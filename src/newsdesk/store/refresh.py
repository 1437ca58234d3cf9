"""One refresh's items into the store, in one write transaction under the store's write lock: the
near-duplicate index catches up with what other processes committed, then each item goes through
`apply` (lookup | decide | apply), and the items, keys, merges, page memory and the source's state
change together or not at all. A refresh that brings no item (pages not modified) only keeps its
bookkeeping, and loads neither the judge nor numpy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from newsdesk.dedup.identity import Change, collapse, identity_keys
from newsdesk.models import Item, PageMemo, StoreResult
from newsdesk.store import items as rows
from newsdesk.store import sources
from newsdesk.store.labels import save_labels
from newsdesk.store.sources import record_change

if TYPE_CHECKING:
    from newsdesk.store import Store


def record_refresh(
    store: Store,
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
    """Store one refresh's items and bookkeeping in a single write transaction."""
    counts: Counter[Change] = Counter()
    touched: set[str] = set()
    try:
        with store.db.write() as conn:
            try:
                batch = [(item, identity_keys(item)) for item in collapse(items)]
                if batch:
                    from newsdesk.store.apply import store_item

                known = rows.lookup(conn, {key for _, keys in batch for key in keys})
                for item, keys in batch:
                    change, categories = store_item(store, conn, item, keys, now, known)
                    counts[change] += 1
                    touched |= categories
                touched |= save_labels(conn, (pair for item in items for pair in item.labels))
                for url, count in page_counts.items():
                    memo = (page_memos or {}).get(url, PageMemo())
                    sources.save_page(conn, url, source, count, now, memo, config_hash)
                sources.save_attempt(conn, source, now, error, error_kind)
                if touched:
                    record_change(conn, touched, now)
            except BaseException:
                # Before the rollback lets another writer in: the index may hold rows it removes.
                store.forget_index()
                raise
    except Exception:
        store.forget_index()  # the commit itself failed
        raise
    return StoreResult(
        counts[Change.NEW], counts[Change.UPDATED], counts[Change.UNCHANGED], frozenset(touched)
    )
