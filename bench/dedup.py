"""Deduplication cost (scenario 5): checking one new item, and inserting a stream with 10% near-duplicates.

The stream goes through Store.record_refresh, as refreshes do (50 items per refresh, 100 sources),
into a real SQLite file. Cost per item is measured for each tenth of the stream, and the last three
tenths are compared with the first three: if cost grew with the store, the ratio would be about 6.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from common import NOW, Row, bench_config, median_seconds

from newsdesk.dedup.decide import DedupPolicy
from newsdesk.dedup.minhash import Signature
from newsdesk.dedup.near import Features, NearIndex, judge, signature
from newsdesk.models import Item
from newsdesk.store import Store
from newsdesk.store.opening import dedup_policy

SYLLABLES = ("ka", "lo", "mi", "nu", "po", "ri", "sa", "te", "vu", "zo", "ba", "de", "fi", "go", "hu", "je")
VOCABULARY = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]  # 4,096 words, no digits
BATCH = 50


def near_copy(title: str, summary: str) -> tuple[str, str]:
    """What another site makes of a story: a word added to the title, the summary cut short."""
    return title + " updated", summary[: len(summary) // 2] + "..."


def check_rows(sizes: list[int], repeat: int) -> list[Row]:
    """Checking a new item against N stored ones: the LSH query plus judging its few candidates."""
    rows = []
    for size in sizes:
        generator = random.Random(size)
        stored: dict[int, tuple[str, str]] = {}
        index = NearIndex()
        for key in range(size):
            title = " ".join(generator.choices(VOCABULARY, k=8))
            summary = " ".join(generator.choices(VOCABULARY, k=40))
            stored[key] = (title, summary)
            index.add(key, signature(title, summary))
        probes = [near_copy(*stored[generator.randrange(size)]) for _ in range(200)]
        signed = [(signature(t, s), Features.of(t, s, "en", None)) for t, s in probes]

        def check_all(
            index: NearIndex = index,
            stored: dict[int, tuple[str, str]] = stored,
            signed: list[tuple[Signature, Features]] = signed,
        ) -> int:
            found = 0
            for lean, features in signed:
                for key in index.candidates(lean):
                    title, summary = stored[key]
                    found += judge(features, Features.of(title, summary, "en", None)).duplicate
            return found

        per_item = median_seconds(check_all, repeat) / len(signed)
        rows.append(
            Row.check(
                "dedup check of one new item (index, not scan)",
                f"{size:,} stored",
                f"{per_item * 1e3:.3f} ms/item",
                "< 1 ms",
                per_item < 1e-3,
            )
        )
    return rows


def stream(count: int, seed: int = 7) -> list[Item]:
    """`count` items, one every 20 minutes; every tenth repeats a recent story from another site."""
    generator = random.Random(seed)
    items: list[Item] = []
    start = NOW - timedelta(minutes=20 * count)
    for n in range(count):
        published = start + timedelta(minutes=20 * n)
        if n % 10 == 9:
            back = 1 + generator.randrange(min(n - 1, 100))
            original = items[n - back if (n - back) % 10 != 9 else n - back - 1]  # a story, not a copy
            title, summary = near_copy(original.title, original.summary_text)
            published = original.published or published
        else:
            title = " ".join(generator.choices(VOCABULARY, k=8)).capitalize()
            summary = " ".join(generator.choices(VOCABULARY, k=40)).capitalize() + "."
        source = f"site{(n // BATCH) % 100:03d}"
        items.append(
            Item(
                source=source,
                url=f"https://{source}.example.org/news/{n}",
                title=title,
                summary_html=f"<p>{summary}</p>",
                summary_text=summary,
                categories=("research",),
                published=published,
                image=None,
                language="en",
                page_url=f"https://{source}.example.org/",
            )
        )
    return items


def seen_after(item: Item) -> datetime:
    """Each batch is stored five minutes after its newest story was published."""
    assert item.published is not None
    return item.published + timedelta(minutes=5)


def insert_rows(count: int) -> list[Row]:
    items = stream(count)
    copies = {item.url for n, item in enumerate(items) if n % 10 == 9}
    tenth = max(BATCH, count // 10)
    costs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'newsdesk.db'}"
        store = Store(database, site_host="news.example.org", dedup=dedup_policy_default())
        store.create(NOW - timedelta(days=5000))
        try:
            for start in range(0, count, tenth):
                began = time.perf_counter()
                part = items[start : start + tenth]
                for offset in range(0, len(part), BATCH):
                    batch = part[offset : offset + BATCH]
                    store.record_refresh(batch[0].source, batch, page_counts={}, now=seen_after(batch[-1]))
                costs.append((time.perf_counter() - began) / len(part))
            with store.db.read() as conn:
                published = set(conn.scalars("SELECT url FROM items WHERE duplicate_of IS NULL"))
        finally:
            store.close()
    found = len(copies - published)  # a copy not published as an entry of its own
    early, late = statistics.median(costs[:3]), statistics.median(costs[-3:])  # medians: one tenth is noisy
    growth = late / early
    size = f"{count:,} items, 10% near-dups"
    return [
        Row.check(
            "dedup insert: per-item cost, first 3 tenths -> last 3 (medians)",
            size,
            f"{early * 1e3:.2f} -> {late * 1e3:.2f} ms/item ({growth:.2f}x)",
            "<= 1.50x (linear: ~6x)",
            growth <= 1.5,
        ),
        Row.check(
            "dedup insert: planted near-duplicates not published twice",
            size,
            f"{found:,} / {len(copies):,}",
            ">= 95% found",
            found >= 0.95 * len(copies),
        ),
    ]


def dedup_policy_default() -> DedupPolicy:
    """The policy a config with no dedup section gets."""
    with tempfile.TemporaryDirectory() as tmp:
        return dedup_policy(bench_config(Path(tmp), []))
