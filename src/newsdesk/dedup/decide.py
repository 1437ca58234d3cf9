"""What to do with one incoming item, given what the store holds: pure, no I/O, no clock.

    store.lookup (rows the item's keys point at, near-duplicate candidates)
      | decide (this module: an intent)
      | store.apply (one transaction, under the store's write lock)

Same rows, same item, same `now`: same intent. That is what makes the store's result independent of
how many threads or processes write it: each write sees every earlier one, and decides alone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsdesk.dedup.identity import Change, merge
from newsdesk.dedup.near import Features, Verdict, judge, translation
from newsdesk.dedup.policy import DedupPolicy
from newsdesk.models import Item, StoredItem


@dataclass(frozen=True)
class Candidate:
    """A stored, published story that an incoming item might repeat or translate."""

    row_id: int
    url: str | None
    title: str
    summary_text: str
    language: str
    published: datetime
    date_from_source: bool


@dataclass(frozen=True)
class Facts:
    """What the store holds that matters for one item, read under the write lock."""

    stored: StoredItem | None = None  # the row the item's identity keys point at
    candidates: tuple[Candidate, ...] = ()  # near-duplicate candidates, oldest first (new items only)
    other_languages: tuple[Candidate, ...] = ()  # dated stories of another language within a day


@dataclass(frozen=True)
class Keep:
    """Nothing to write: the item says nothing the store does not hold."""

    change: Change = Change.UNCHANGED


@dataclass(frozen=True)
class Insert:
    """A new story; `translations` are the stored stories it is the same news as, in another language."""

    record: StoredItem
    translations: tuple[tuple[int, Verdict], ...] = ()


@dataclass(frozen=True)
class Update:
    """The stored row takes the merged record (new text, keys, sources or categories). When its text
    changed (`relink`), its translation links are judged again on the new text, so that which links
    exist depends on the stories' texts, not on the order in which their versions arrived."""

    record: StoredItem
    change: Change
    touched: frozenset[str]
    relink: bool = False


@dataclass(frozen=True)
class FoldInto:
    """The item is a sighting of story `story_id`: its own row is written unpublished (`sighting`,
    None when unchanged), a new merge is recorded with `verdict`, and the story takes what is richer."""

    story_id: int
    sighting: StoredItem | None
    verdict: Verdict | None = None


Intent = Keep | Insert | Update | FoldInto


@functools.lru_cache(maxsize=256)  # about 50 KB each
def features_of(title: str, summary: str, language: str, published: datetime | None) -> Features:
    """Cached: a refresh compares each stored story with every new item (near-duplicates, translations)."""
    return Features.of(title, summary, language, published.date() if published else None)


def decide(item: Item, facts: Facts, *, now: datetime, site_host: str, policy: DedupPolicy) -> Intent:
    """Exact identity first (the keys' row); a new story is then checked against near-duplicates."""
    stored = facts.stored
    outcome = merge(stored, item, now=now, site_host=site_host)
    if stored is not None:
        changed = outcome.record != stored
        if stored.duplicate_of is not None:
            return FoldInto(stored.duplicate_of, outcome.record if changed else None)
        if not changed:
            return Keep(outcome.change)
        relink = policy.enabled and text_changed(stored, outcome.record)
        return Update(outcome.record, outcome.change, outcome.touched_categories, relink)
    if not policy.enabled:
        return Insert(outcome.record)
    best = best_match(item, facts.candidates, policy)
    if best is not None:
        return FoldInto(best[0], outcome.record, best[1])
    return Insert(outcome.record, translations_of(outcome.record, facts.other_languages))


def text_changed(before: StoredItem, after: StoredItem) -> bool:
    """What translation links are judged on: title, summary, language and the source's date."""
    return (
        before.title,
        before.summary_text,
        before.language,
        before.published,
        before.date_from_source,
    ) != (
        after.title,
        after.summary_text,
        after.language,
        after.published,
        after.date_from_source,
    )


def best_match(
    item: Item, candidates: Sequence[Candidate], policy: DedupPolicy
) -> tuple[int, Verdict] | None:
    """The candidate this item repeats, by the highest score; a tie goes to the oldest story."""
    if not candidates:
        return None  # a new story with nothing like it: its features are not even computed
    mine = features_of(item.title, item.summary_text, item.language, item.published)
    best: tuple[int, Verdict] | None = None
    for candidate in sorted(candidates, key=lambda c: c.row_id):
        if frozenset({item.url, candidate.url}) in policy.never_merge:
            continue
        theirs = features_of(
            candidate.title,
            candidate.summary_text,
            candidate.language,
            candidate.published if candidate.date_from_source else None,
        )
        verdict = judge(mine, theirs, policy.settings)
        if verdict.duplicate and (best is None or verdict.score > best[1].score):
            best = (candidate.row_id, verdict)
    return best


def translations_of(story: StoredItem, others: Sequence[Candidate]) -> tuple[tuple[int, Verdict], ...]:
    """Dated stories in another language that tell the same story (`near.translation`)."""
    if not story.date_from_source or not others:
        return ()
    mine = features_of(story.title, story.summary_text, story.language, story.published)
    found = []
    for other in sorted(others, key=lambda c: c.row_id):
        if other.row_id == story.row_id:
            continue
        verdict = translation(
            mine, features_of(other.title, other.summary_text, other.language, other.published)
        )
        if verdict.duplicate:
            found.append((other.row_id, verdict))
    return tuple(found)
