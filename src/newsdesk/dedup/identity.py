"""Identity of a story and merging of its duplicates: pure functions of (stored, incoming), no I/O.

A story is the same when it shares an identity key: its canonical URL, its feed id, or (for long
enough summaries, on the same day) its exact text. Merging keeps the richest version field by field.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from newsdesk.models import Item, StoredItem
from newsdesk.text import comparable, extends, without_ellipsis

HASH_VERSION = "1"
# Below this many characters two identical summaries may be a template ("Read our newsletter").
MIN_TEXT_IDENTITY = 80


class Change(Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class MergeOutcome:
    record: StoredItem
    change: Change
    touched_categories: frozenset[str]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def identity_keys(item: Item) -> tuple[str, ...]:
    """The keys under which this item is the same story as another; the first is its primary key."""
    return _keys(item.url, item.guid, item.source, item.title, item.summary_text, item.published)


@functools.lru_cache(maxsize=4096)  # a refresh asks for an item's keys four times
def _keys(
    url: str | None, guid: str | None, source: str, title: str, summary_text: str, published: datetime | None
) -> tuple[str, ...]:
    keys = []
    if url:
        keys.append(f"url:{url}")
    if guid:
        keys.append(f"guid:{source}:{guid}")
    summary = comparable(without_ellipsis(summary_text))
    if len(summary) >= MIN_TEXT_IDENTITY and published is not None:
        # Same words on the same day under two addresses: one story syndicated. Without the day,
        # a seminar series that repeats its teaser every week would collapse into one entry.
        day = published.date().isoformat()
        keys.append("text:" + _digest(f"{day}\n{comparable(title)}\n{summary}"))
    if not keys:
        # No link, no id, little text: the source and the title are all we have, and they are stable.
        keys.append("card:" + _digest(source + "\n" + comparable(title)))
    return tuple(keys)


def content_hash(record: StoredItem) -> str:
    """Stable fingerprint of what a reader sees; empty fields are left out so new fields change nothing."""
    fields = {
        "title": record.title,
        "summary": record.summary_html,
        "url": record.url,
        "categories": sorted(record.categories),
        "image": record.image,
        "published": record.published.isoformat(),
        "content": record.content_html,
    }
    data = {key: value for key, value in fields.items() if value}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return HASH_VERSION + hashlib.md5(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()


def collapse(items: Iterable[Item]) -> list[Item]:
    """Merge the items of one refresh that are the same story (carousel clones, repeated cards)."""
    merged: list[Item] = []
    owner: dict[str, int] = {}
    for item in items:
        keys = identity_keys(item)
        index = next((owner[key] for key in keys if key in owner), None)
        if index is None:
            index = len(merged)
            merged.append(item)
        else:
            merged[index] = merge_items(merged[index], item)
        for key in identity_keys(merged[index]) + keys:
            owner.setdefault(key, index)
    return merged


def merge_items(first: Item, second: Item) -> Item:
    """Two sightings in one refresh: richest field by field, categories united."""
    title, summary_html, summary_text = first.title, first.summary_html, first.summary_text
    if _richer(second.summary_text, summary_text):
        summary_html, summary_text = second.summary_html, second.summary_text
    if extends(second.title, title):
        title = second.title
    return replace(
        first,
        title=title,
        summary_html=summary_html,
        summary_text=summary_text,
        url=first.url or second.url,
        guid=first.guid or second.guid,
        categories=_union(first.categories, second.categories),
        new_categories=_union(first.new_categories, second.new_categories),
        published=first.published or second.published,
        image=first.image or second.image,
        content_html=first.content_html or second.content_html,
    )


def _richer(candidate: str, current: str) -> bool:
    """True when `candidate` should replace `current`: it fills a gap or completes a cut summary."""
    return bool(candidate) and (not current or extends(candidate, current))


def _union(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def new_record(item: Item, *, now: datetime, site_host: str) -> StoredItem:
    """First sighting: identity minted here and never changed afterwards."""
    keys = identity_keys(item)
    seen = now  # one moment for the whole refresh: its undated stories tie, and keep page order by rank
    published = item.published or seen
    record = StoredItem(
        entry_id=f"tag:{site_host},{seen:%Y-%m-%d}:{_digest(keys[0])}",
        url=item.url,
        title=item.title,
        summary_html=item.summary_html,
        summary_text=item.summary_text,
        content_html=item.content_html,
        categories=item.categories,
        published=published,
        date_from_source=item.published is not None,
        updated=published,
        first_seen=seen,
        seen_rank=item.rank,
        image=item.image,
        language=item.language,
        content_source=item.origin,
        keys=keys,
        sources=(item.source,),
    )
    return replace(record, content_hash=content_hash(record))


def merge(stored: StoredItem | None, item: Item, *, now: datetime, site_host: str) -> MergeOutcome:
    """Fold one incoming sighting into what is stored.

    Richness decides between sources (a full summary beats a cut one, a source date beats none);
    an edit made by the source that owns the text replaces it and moves `updated`.
    """
    if stored is None:
        record = new_record(item, now=now, site_host=site_host)
        return MergeOutcome(record, Change.NEW, frozenset(record.categories))
    # Ownership of the text belongs to one origin (a source's page). A richer version from another
    # origin takes the text *and* the ownership in one step, so the two never take turns.
    origin = item.origin
    owner = stored.content_source
    title, summary_html, summary_text = stored.title, stored.summary_html, stored.summary_text
    richer_summary = _richer(item.summary_text, summary_text)
    richer_title = extends(item.title, title)
    if richer_summary or richer_title:
        owner = origin
    if origin == owner:
        # The owning origin's current text, unless it is only a cut version of what is stored.
        if (
            item.summary_text
            and item.summary_text != summary_text
            and not extends(summary_text, item.summary_text)
        ):
            summary_html, summary_text = item.summary_html, item.summary_text
        if item.title and item.title != title and not extends(title, item.title):
            title = item.title
    published, from_source = stored.published, stored.date_from_source
    if not from_source and item.published is not None:
        published, from_source = item.published, True
    record = replace(
        stored,
        url=stored.url or item.url,
        title=title,
        summary_html=summary_html,
        summary_text=summary_text,
        content_html=stored.content_html or item.content_html,
        categories=_union(stored.categories, item.categories),
        published=published,
        date_from_source=from_source,
        image=stored.image or item.image,
        content_source=owner,
        keys=_union(stored.keys, identity_keys(item)),
        sources=_union(stored.sources, (item.source,)),
    )
    new_hash = content_hash(record)
    if new_hash == stored.content_hash:
        return MergeOutcome(replace(record, content_hash=new_hash), Change.UNCHANGED, frozenset())
    touched = frozenset(record.categories) | frozenset(stored.categories)
    if stored.first_seen == now:
        # First stored earlier in this same run (another source, another page): no reader has seen
        # it yet, so it is still new, and `updated` stays its date.
        return MergeOutcome(
            replace(record, content_hash=new_hash, updated=record.published), Change.NEW, touched
        )
    record = replace(record, content_hash=new_hash, updated=max(now, record.published))
    return MergeOutcome(record, Change.UPDATED, touched)
