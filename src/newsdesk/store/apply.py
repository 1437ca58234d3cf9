"""One incoming item inside a refresh's transaction: lookup (rows its keys point at, near-duplicate
candidates) | decide.decide (pure) | apply (rows written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from newsdesk.dedup.decide import (
    Candidate,
    Facts,
    FoldInto,
    Insert,
    Intent,
    Keep,
    Update,
    decide,
    text_changed,
    translations_of,
)
from newsdesk.dedup.identity import Change, merge
from newsdesk.dedup.minhash import Signature
from newsdesk.dedup.near import has_enough_text, signature, signature_bytes
from newsdesk.models import Item, StoredItem
from newsdesk.store import items as rows
from newsdesk.store.database import Conn, naive_utc
from newsdesk.store.items import KnownItems
from newsdesk.store.near import link_translations, record_merge

if TYPE_CHECKING:
    from newsdesk.store import Store


def _stored(lean: Signature | None) -> bytes | None:
    return None if lean is None else signature_bytes(lean)


def store_item(
    store: Store, conn: Conn, item: Item, keys: Sequence[str], now: datetime, known: KnownItems
) -> tuple[Change, frozenset[str]]:
    """Look up, decide, apply: one item, inside the refresh's transaction."""
    stored = (known if known.trusted(keys) else rows.lookup(conn, keys)).find(keys)
    lean: Signature | None = None
    facts = Facts(stored)
    if stored is None and store.dedup.enabled:
        if item.published is not None:
            naive_utc(item.published)  # refuses a naive date before anything is compared in memory
        other_languages = store.near.other_languages(conn, item.language, item.published)
        candidates: tuple[Candidate, ...] = ()
        if has_enough_text(item.title, item.summary_text):  # "C12", "News": exact identity only
            lean = signature(item.title, item.summary_text)
            candidates = store.near.candidates(conn, lean, item.published or now, now)
        facts = Facts(None, candidates, other_languages)
    intent = decide(item, facts, now=now, site_host=store.site_host, policy=store.dedup)
    return _apply(store, conn, item, intent, known, now, lean)


def _apply(
    store: Store,
    conn: Conn,
    item: Item,
    intent: Intent,
    known: KnownItems,
    now: datetime,
    lean: Signature | None,
) -> tuple[Change, frozenset[str]]:
    if isinstance(intent, Keep):
        return intent.change, frozenset()
    if isinstance(intent, Update):
        rows.save(conn, intent.record, known)
        if intent.relink:
            _relink(store, conn, intent.record)
        return intent.change, intent.touched
    if isinstance(intent, Insert):
        row_id = rows.save(conn, intent.record, known, signature=_stored(lean))
        if lean is not None:
            store.near.add(row_id, lean, item.published or now, now)
        link_translations(conn, row_id, intent.translations)
        return Change.NEW, frozenset(intent.record.categories)
    return _fold(store, conn, item, intent, known, now, lean)


def _fold(
    store: Store,
    conn: Conn,
    item: Item,
    intent: FoldInto,
    known: KnownItems,
    now: datetime,
    lean: Signature | None,
) -> tuple[Change, frozenset[str]]:
    """Write the sighting's own row (unpublished), then give the story what is richer."""
    if intent.sighting is not None:
        row_id = rows.save(conn, intent.sighting, known, signature=_stored(lean))
        if intent.verdict is not None:
            record_merge(conn, intent.story_id, row_id, intent.verdict, now)
    story = rows.load_one(conn, intent.story_id)
    folded = merge(story, item, now=now, site_host=store.site_host)
    if folded.record != story:
        rows.save(conn, replace(folded.record, keys=story.keys), known)
        if store.dedup.enabled and text_changed(story, folded.record):
            _relink(store, conn, folded.record)
    return folded.change, folded.touched_categories


def _relink(store: Store, conn: Conn, story: StoredItem) -> None:
    """Judge a story's translation links again, on its new text."""
    assert story.row_id is not None
    published = story.published if story.date_from_source else None
    others = store.near.other_languages(conn, story.language, published)
    link_translations(conn, story.row_id, translations_of(story, others), replace=True)
