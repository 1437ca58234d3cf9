"""Near-duplicate queries: the LSH index of recent stories, candidates, merges, translation links, and
the config's forced splits and merges. Every function runs inside the store's write transaction.

The index lives in memory, per process. Other processes write the same store, so at the start of each
write transaction the index catches up with every story committed since its last look (an id
watermark: ids are handed out under the write lock, so they are committed in order).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from newsdesk.dedup.decide import Candidate
from newsdesk.dedup.minhash import Signature
from newsdesk.dedup.near import (
    MAX_CANDIDATES,
    TRANSLATION_DAYS,
    NearIndex,
    Verdict,
    has_enough_text,
    signature,
    signature_bytes,
    signature_from_bytes,
)
from newsdesk.dedup.policy import DedupPolicy
from newsdesk.store.database import Conn, placeholders, utc
from newsdesk.store.sources import meta, set_meta

# News pages list stories up to a few weeks old: the index holds the dedup window plus this many days,
# so that a story first seen late is still compared in memory; only older ones go to the database.
RECENT_EXTRA_DAYS = 30
OVERRIDES = "merge_overrides"  # meta: how many times forced splits or merges changed the store
CANDIDATES = "SELECT id, url, title, summary_text, language, published, date_from_source FROM items"
# `duplicate_of IS NULL`, written so no planner picks the duplicate_of index for it: nearly every row
# matches, so with a date range beside it, the range must drive the query (else: a full scan).
NOT_MERGED = "coalesce(duplicate_of, 0) = 0"


class NearDuplicates:
    """The LSH index of the recent published (non-duplicate) stories, built from stored signatures.

    Recent means dated within the dedup window (plus RECENT_EXTRA_DAYS) of the newest refresh: dated
    stories further apart are never one story, so older ones need not be in memory. A story dated
    before that horizon (a feed's archive read late) is compared with the stored stories of its dates.
    """

    def __init__(self, policy: DedupPolicy) -> None:
        self.policy = policy
        self._index: NearIndex | None = None
        self._horizon = datetime.min.replace(tzinfo=UTC)
        self._watermark = 0  # the highest item id the index has looked at
        self._overrides: str | None = None  # the store's count of forced splits and merges, when built
        self._lock = threading.Lock()

    def horizon(self, now: datetime) -> datetime:
        return now - timedelta(days=self.policy.settings.window_days + RECENT_EXTRA_DAYS)

    def index(self, conn: Conn, now: datetime) -> NearIndex:
        """The index, caught up with every story committed so far (by any process). Forced splits and
        merges (by any process) change which stories are published: the index is then built anew."""
        horizon = self.horizon(now)
        newest, overrides = conn.first(
            "SELECT (SELECT max(id) FROM items), (SELECT value FROM meta WHERE key = :key)",
            {"key": OVERRIDES},
        )
        with self._lock:
            if self._index is None or overrides != self._overrides:
                self._index, self._watermark = NearIndex(self.policy.settings), 0
                self._horizon, self._overrides = horizon, overrides
            elif horizon - self._horizon > timedelta(days=1):
                self._index.prune(horizon)
                self._horizon = horizon
            self._catch_up(conn, self._index, newest or 0)
            return self._index

    def _catch_up(self, conn: Conn, index: NearIndex, newest: int) -> None:
        if newest <= self._watermark:
            return
        rows = conn.rows(
            "SELECT id, signature, title, summary_text, published FROM items "
            f"WHERE id > :after AND id <= :newest AND published >= :horizon AND {NOT_MERGED}",
            {"after": self._watermark, "newest": newest, "horizon": self._horizon},
        )
        for row in rows:
            if row.id in index:
                continue  # added by this process when it stored the story
            if row.signature:
                lean = signature_from_bytes(row.signature)
            elif has_enough_text(row.title, row.summary_text):
                # Stored by a newsdesk without near-duplicate detection: sign it now, once.
                lean = signature(row.title, row.summary_text)
                self.save_signature(conn, row.id, lean)
            else:
                continue
            index.add(row.id, lean, utc(row.published))
        self._watermark = newest

    def forget(self) -> None:
        """Drop the in-memory index (a rolled-back transaction may have added to it)."""
        with self._lock:
            self._index = None

    def is_recent(self, moment: datetime, now: datetime) -> bool:
        """In the index's reach: judged against today's horizon, however long the process has run."""
        return moment >= max(self._horizon, self.horizon(now))

    def add(self, row_id: int, lean: Signature, moment: datetime, now: datetime) -> None:
        """A new story of this transaction: indexed at once, so the next item of the batch sees it
        (the index was caught up when this item's candidates were asked for)."""
        with self._lock:
            if self._index is not None and self.is_recent(moment, now):
                self._index.add(row_id, lean, moment)

    @staticmethod
    def save_signature(conn: Conn, row_id: int, lean: Signature) -> None:
        conn.execute(
            "UPDATE items SET signature = :signature WHERE id = :id",
            {"signature": signature_bytes(lean), "id": row_id},
        )

    def candidates(
        self, conn: Conn, lean: Signature, moment: datetime, now: datetime
    ) -> tuple[Candidate, ...]:
        """Published stories similar enough to be worth judging, oldest first."""
        index = self.index(conn, now)
        ids = (
            index.candidates(lean)
            if self.is_recent(moment, now)
            else self._candidates_around(conn, lean, moment)
        )
        if not ids:
            return ()
        among, params = placeholders("id", ids)
        rows = conn.rows(f"{CANDIDATES} WHERE id IN {among} AND duplicate_of IS NULL ORDER BY id", params)
        return tuple(_candidate(row) for row in rows)

    def _candidates_around(self, conn: Conn, lean: Signature, moment: datetime) -> list[int]:
        """Stored stories dated within the window of an old one, as similar as the index would ask."""
        window = timedelta(days=self.policy.settings.window_days)
        rows = conn.rows(
            "SELECT id, signature FROM items WHERE published BETWEEN :start AND :end "
            f"AND {NOT_MERGED} AND signature IS NOT NULL",
            {"start": moment - window, "end": moment + window},
        )
        ids, signatures = [], []
        for row in rows:
            ids.append(row.id)
            signatures.append(np.frombuffer(row.signature, dtype=np.uint32))
        if not ids:
            return []
        # Estimated Jaccard similarity of every stored signature with this one, in one array operation.
        similarity = (np.vstack(signatures) == lean).mean(axis=1)
        best = np.argsort(-similarity, kind="stable")[:MAX_CANDIDATES]
        threshold = self.policy.settings.lsh_threshold
        return [ids[i] for i in best if similarity[i] >= threshold]

    @staticmethod
    def other_languages(conn: Conn, language: str, published: datetime | None) -> tuple[Candidate, ...]:
        """Dated, published stories of another language near `published` (the translation judge's days
        and one more: it counts calendar days, this compares instants), oldest first."""
        if published is None:
            return ()
        span = timedelta(days=TRANSLATION_DAYS + 1)
        window = {"start": published - span, "end": published + span, "dated": True}
        rows = [
            row
            for other in _languages(conn)
            if other != language
            for row in conn.rows(
                f"{CANDIDATES} WHERE language = :language AND published BETWEEN :start AND :end "
                f"AND {NOT_MERGED} AND date_from_source = :dated",
                {**window, "language": other},
            )
        ]
        return tuple(_candidate(row) for row in sorted(rows, key=lambda row: row.id))


def _languages(conn: Conn) -> list[str]:
    """Every language of a stored story: one index seek each (a store holds a handful)."""
    found: list[str] = []
    language = conn.scalar("SELECT min(language) FROM items")
    while language is not None:
        found.append(language)
        language = conn.scalar("SELECT min(language) FROM items WHERE language > :after", {"after": language})
    return found


def _candidate(row: Any) -> Candidate:
    published = utc(row.published)
    assert published is not None  # the column is NOT NULL
    return Candidate(
        row_id=row.id,
        url=row.url,
        title=row.title,
        summary_text=row.summary_text,
        language=row.language,
        published=published,
        date_from_source=bool(row.date_from_source),
    )


def link_translations(
    conn: Conn, row_id: int, others: Sequence[tuple[int, Verdict]], *, replace: bool = False
) -> None:
    """Link a story with its translations, both ways; `replace` drops its links judged before."""
    if replace:
        conn.execute("DELETE FROM alternates WHERE item_id = :id OR other_id = :id", {"id": row_id})
    conn.executemany(
        "INSERT INTO alternates (item_id, other_id, score) VALUES (:item_id, :other_id, :score)",
        [
            link
            for other_id, verdict in others
            for link in (
                {"item_id": row_id, "other_id": other_id, "score": verdict.score},
                {"item_id": other_id, "other_id": row_id, "score": verdict.score},
            )
        ],
    )


def record_merge(conn: Conn, kept: int, merged: int, verdict: Verdict, now: datetime) -> None:
    conn.execute("UPDATE items SET duplicate_of = :kept WHERE id = :merged", {"kept": kept, "merged": merged})
    conn.execute("DELETE FROM merges WHERE merged_id = :merged", {"merged": merged})
    conn.execute(
        "INSERT INTO merges (kept_id, merged_id, score, rule, at) "
        "VALUES (:kept, :merged, :score, :rule, :at)",
        {"kept": kept, "merged": merged, "score": round(verdict.score, 4), "rule": verdict.rule, "at": now},
    )


def apply_overrides(conn: Conn, policy: DedupPolicy, now: datetime) -> set[int]:
    """Forced splits and merges from the config; the ids of the stories they changed."""
    changed: set[int] = set()
    by_url = _rows_by_url(
        conn,
        {url for pair in policy.never_merge for url in pair}
        | {url for pair in policy.always_merge for url in pair},
    )
    changed |= _forced_splits(conn, policy, by_url)
    changed |= _forced_merges(conn, policy, by_url, now)
    if changed:  # every process's index (this one's too) is built anew at its next look
        set_meta(conn, OVERRIDES, str(int(meta(conn, OVERRIDES) or 0) + 1))
    return changed


def _forced_splits(conn: Conn, policy: DedupPolicy, by_url: dict[str, int]) -> set[int]:
    changed: set[int] = set()
    for pair in sorted(policy.never_merge, key=sorted):
        ids = [by_url[url] for url in sorted(pair) if url in by_url]
        if len(ids) != 2:
            continue
        for first, second in (ids, ids[::-1]):
            done = conn.execute(
                "UPDATE items SET duplicate_of = NULL WHERE id = :first AND duplicate_of = :second",
                {"first": first, "second": second},
            ).rowcount
            if done:
                conn.execute("DELETE FROM merges WHERE merged_id = :first", {"first": first})
                changed |= {first, second}
    return changed


def _forced_merges(conn: Conn, policy: DedupPolicy, by_url: dict[str, int], now: datetime) -> set[int]:
    changed: set[int] = set()
    for first_url, second_url in policy.always_merge:
        if first_url not in by_url or second_url not in by_url:
            continue
        kept, merged = sorted((by_url[first_url], by_url[second_url]))
        current = conn.scalar("SELECT duplicate_of FROM items WHERE id = :id", {"id": merged})
        if current != kept and kept != merged:
            record_merge(conn, kept, merged, Verdict(True, 1.0, "forced by dedup.always_merge"), now)
            changed |= {kept, merged}
    return changed


def _rows_by_url(conn: Conn, urls: set[str]) -> dict[str, int]:
    if not urls:
        return {}
    among, params = placeholders("url", sorted(urls))
    rows = conn.rows(f"SELECT url, id FROM items WHERE url IN {among} ORDER BY id", params)
    return {row.url: row.id for row in rows}
