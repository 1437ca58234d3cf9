"""Near-duplicates in the store: find the stored story a new item repeats, link translations, and
apply the config's forced splits and merges. Runs inside the store's transactions.

The decision itself is neardup.judge (pure); this module only fetches candidates and writes results.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from datasketch import LeanMinHash
from sqlalchemy.engine import Connection

from newsdesk.models import Item
from newsdesk.neardup import (
    MAX_CANDIDATES,
    Features,
    NearIndex,
    Settings,
    Verdict,
    has_enough_text,
    judge,
    signature,
    signature_bytes,
    signature_from_bytes,
    translation,
)
from newsdesk.normalize.urls import canonical_url
from newsdesk.schema import alternates_table, items_table, merges_table, not_merged


@dataclass(frozen=True)
class DedupPolicy:
    """The config's dedup section, as the store needs it."""

    enabled: bool = True
    settings: Settings = field(default_factory=Settings)
    never_merge: frozenset[frozenset[str]] = frozenset()
    always_merge: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_pairs(
        cls,
        *,
        enabled: bool,
        settings: Settings,
        never_merge: Iterable[Iterable[str]],
        always_merge: Iterable[Iterable[str]],
    ) -> DedupPolicy:
        def canonical_pair(pair: Iterable[str]) -> tuple[str, str]:
            first, second = (canonical_url(link) or link for link in pair)
            return first, second

        return cls(
            enabled=enabled,
            settings=settings,
            never_merge=frozenset(frozenset(canonical_pair(pair)) for pair in never_merge),
            always_merge=tuple(canonical_pair(pair) for pair in always_merge),
        )


def features_of(title: str, summary: str, language: str, published: datetime | None) -> Features:
    return Features.of(title, summary, language, published.date() if published else None)


# News pages list stories up to a few weeks old: the index holds the dedup window plus this many days,
# so that a story first seen late is still compared in memory; only older ones go to the database.
RECENT_EXTRA_DAYS = 30


class DuplicateFinder:
    """Holds the LSH index of the recent published (non-duplicate) stories, from stored signatures.

    Recent means dated within the dedup window (plus RECENT_EXTRA_DAYS) of the newest refresh: dated
    stories further apart are never one story, so older ones need not be in memory. The index costs memory
    and start-up time in proportion to the window's news, not to the history. A story dated before
    that horizon (a feed's archive read late) is compared with the stored stories of its own dates.
    """

    def __init__(self, policy: DedupPolicy) -> None:
        self.policy = policy
        self._index: NearIndex | None = None
        self._horizon = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def horizon(self, now: datetime) -> datetime:
        return now - timedelta(days=self.policy.settings.window_days + RECENT_EXTRA_DAYS)

    def index(self, conn: Connection, now: datetime) -> NearIndex:
        horizon = self.horizon(now)
        with self._lock:
            if self._index is None:
                self._index = self._build(conn, horizon)
                self._horizon = horizon
            elif horizon - self._horizon > timedelta(days=1):
                self._index.prune(horizon)
                self._horizon = horizon
            return self._index

    def _build(self, conn: Connection, horizon: datetime) -> NearIndex:
        index = NearIndex(self.policy.settings)
        rows = conn.execute(
            sa.select(
                items_table.c.id,
                items_table.c.signature,
                items_table.c.title,
                items_table.c.summary_text,
                items_table.c.published,
            ).where(items_table.c.published >= horizon, not_merged())
        )
        for row in rows:
            if row.signature:
                lean = signature_from_bytes(row.signature)
            else:  # stored by a newsdesk without near-duplicate detection: sign it now, once
                lean = signature(row.title, row.summary_text)
                conn.execute(
                    items_table.update()
                    .where(items_table.c.id == row.id)
                    .values(signature=signature_bytes(lean))
                )
            index.add(row.id, lean, row.published)
        return index

    def forget(self) -> None:
        """Drop the in-memory index (a rolled-back transaction may have added to it)."""
        with self._lock:
            self._index = None

    def find(self, conn: Connection, item: Item, row_id: int, now: datetime) -> tuple[int, Verdict] | None:
        """The stored story this new item repeats, if any; otherwise index the item as a story."""
        if not has_enough_text(item.title, item.summary_text):
            return None  # "C12", "News": exact identity only, no guessing
        lean = signature(item.title, item.summary_text)
        conn.execute(
            items_table.update().where(items_table.c.id == row_id).values(signature=signature_bytes(lean))
        )
        index = self.index(conn, now)
        moment = item.published or now
        recent = moment >= self._horizon
        found = index.candidates(lean) if recent else self._candidates_around(conn, lean, moment)
        candidates = [key for key in found if key != row_id]
        best: tuple[int, Verdict] | None = None
        if candidates:
            mine = features_of(item.title, item.summary_text, item.language, item.published)
            rows = conn.execute(
                sa.select(
                    items_table.c.id,
                    items_table.c.url,
                    items_table.c.title,
                    items_table.c.summary_text,
                    items_table.c.language,
                    items_table.c.published,
                    items_table.c.date_from_source,
                ).where(items_table.c.id.in_(candidates), items_table.c.duplicate_of.is_(None))
            )
            for row in rows:
                if frozenset({item.url, row.url}) in self.policy.never_merge:
                    continue
                theirs = features_of(
                    row.title, row.summary_text, row.language, row.published if row.date_from_source else None
                )
                verdict = judge(mine, theirs, self.policy.settings)
                if verdict.duplicate and (best is None or verdict.score > best[1].score):
                    best = (row.id, verdict)
        if best is None and recent:
            index.add(row_id, lean, moment)
        return best

    def _candidates_around(self, conn: Connection, lean: LeanMinHash, moment: datetime) -> list[int]:
        """Stored stories dated within the window of an old one, as similar as the index would ask."""
        window = timedelta(days=self.policy.settings.window_days)
        rows = conn.execute(
            sa.select(items_table.c.id, items_table.c.signature).where(
                items_table.c.published.between(moment - window, moment + window),
                not_merged(),
                items_table.c.signature.is_not(None),
            )
        )
        ids, signatures = [], []
        for row in rows:
            ids.append(row.id)
            signatures.append(np.frombuffer(row.signature, dtype=np.uint32))
        if not ids:
            return []
        # Estimated Jaccard similarity of every stored signature with this one, in one array operation.
        similarity = (np.vstack(signatures) == np.asarray(lean.hashvalues, dtype=np.uint32)).mean(axis=1)
        best = np.argsort(-similarity, kind="stable")[:MAX_CANDIDATES]
        threshold = self.policy.settings.lsh_threshold
        return [ids[i] for i in best if similarity[i] >= threshold]

    def link_translations(self, conn: Connection, item: Item, row_id: int) -> int:
        """Stories of another language published the same day that say the same names and numbers."""
        if item.published is None:
            return 0
        day = timedelta(days=1)
        rows = conn.execute(
            sa.select(
                items_table.c.id,
                items_table.c.title,
                items_table.c.summary_text,
                items_table.c.language,
                items_table.c.published,
            ).where(
                items_table.c.published.between(item.published - day, item.published + day),
                items_table.c.language != item.language,
                not_merged(),
                items_table.c.date_from_source.is_(True),
            )
        )
        mine = features_of(item.title, item.summary_text, item.language, item.published)
        linked = 0
        for row in rows:
            verdict = translation(mine, features_of(row.title, row.summary_text, row.language, row.published))
            if verdict.duplicate:
                for first, second in ((row_id, row.id), (row.id, row_id)):
                    conn.execute(
                        alternates_table.insert().values(item_id=first, other_id=second, score=verdict.score)
                    )
                linked += 1
        return linked


def record_merge(conn: Connection, kept: int, merged: int, verdict: Verdict, now: datetime) -> None:
    conn.execute(items_table.update().where(items_table.c.id == merged).values(duplicate_of=kept))
    conn.execute(merges_table.delete().where(merges_table.c.merged_id == merged))
    conn.execute(
        merges_table.insert().values(
            kept_id=kept, merged_id=merged, score=round(verdict.score, 4), rule=verdict.rule, at=now
        )
    )


def apply_overrides(conn: Connection, policy: DedupPolicy, finder: DuplicateFinder, now: datetime) -> bool:
    """Forced splits and merges from the config; True when something changed (publish follows)."""
    changed = False
    by_url = _rows_by_url(
        conn,
        {url for pair in policy.never_merge for url in pair}
        | {url for pair in policy.always_merge for url in pair},
    )
    for pair in policy.never_merge:
        ids = [by_url[url] for url in pair if url in by_url]
        if len(ids) != 2:
            continue
        for first, second in (ids, ids[::-1]):
            done = conn.execute(
                items_table.update()
                .where(items_table.c.id == first, items_table.c.duplicate_of == second)
                .values(duplicate_of=None)
            ).rowcount
            if done:
                conn.execute(merges_table.delete().where(merges_table.c.merged_id == first))
                finder.forget()
                changed = True
    for first_url, second_url in policy.always_merge:
        if first_url not in by_url or second_url not in by_url:
            continue
        kept, merged = sorted((by_url[first_url], by_url[second_url]))
        current = conn.execute(
            sa.select(items_table.c.duplicate_of).where(items_table.c.id == merged)
        ).scalar()
        if current != kept and kept != merged:
            record_merge(conn, kept, merged, Verdict(True, 1.0, "forced by dedup.always_merge"), now)
            finder.forget()
            changed = True
    return changed


def _rows_by_url(conn: Connection, urls: set[str]) -> dict[str, int]:
    if not urls:
        return {}
    rows = conn.execute(sa.select(items_table.c.url, items_table.c.id).where(items_table.c.url.in_(urls)))
    return {row.url: row.id for row in rows}
