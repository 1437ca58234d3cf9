"""What `newsdesk check` reports beyond validation: categories made from labels the config does not
name, and labels so alike (accents, case, a plural) that they are likely one category."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import datetime

from newsdesk.config import Config
from newsdesk.normalize.categories import ancestors


def check_notes(config: Config, now: datetime) -> list[str]:
    """One line per note; empty without a store yet. Opens the store, so its problems come first."""
    from newsdesk.store import store_exists

    notes = broker_notes(config)
    if not store_exists(config.database_url):
        return notes
    from newsdesk.store.opening import open_store

    store = open_store(config, now)
    try:
        known = {parent for category in config.categories for parent in ancestors(category.id)}
        labels = store.category_labels()
        notes += [
            f"note: category {category!r} ({labels.get(category, category)!r}, "
            f"{store.item_count_in_category(category)} items) comes from a label that is not in "
            "categories; add it with a title or make the label an alias"
            for category in sorted(store.categories_in_use() - known)
        ]
    finally:
        store.close()
    shown = {category.id: category.display_title for category in config.categories} | labels
    for group in alike_labels(shown):
        written = ", ".join(f"{shown[category]!r} ({category})" for category in group)
        notes.append(
            f"hint: labels {written} differ only by accents, case or a plural; if they are one "
            "category, list them as aliases of it in categories"
        )
    return notes


def broker_notes(config: Config) -> list[str]:
    """With `workers:`, whether the broker answers (the daemon could not send, nor workers take)."""
    if config.workers is None:
        return []
    from newsdesk.dispatch import queue_depth_or_error
    from newsdesk.store.database import shown

    _, error = queue_depth_or_error(config)
    if error is None:
        return []
    return [f"note: workers.broker {shown(config.workers.broker)}: {error}"]


def alike_labels(labels: dict[str, str]) -> list[list[str]]:
    """Categories whose labels are the same once accents, case and a plural 's'/'x' are set aside."""
    groups: dict[str, list[str]] = defaultdict(list)
    for category, label in sorted(labels.items()):
        groups[_loose(label)].append(category)
    return [group for _, group in sorted(groups.items()) if len(group) > 1]


def _loose(label: str) -> str:
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()
    return " ".join(word.rstrip("sx") or word for word in folded.split())
