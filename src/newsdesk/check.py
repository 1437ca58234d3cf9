"""What `newsdesk check` reports beyond validation: categories invented from unknown labels."""

from __future__ import annotations

from datetime import datetime

from newsdesk.config import Config
from newsdesk.normalize.categories import ancestors


def unconfigured_categories(config: Config, now: datetime) -> list[tuple[str, int]]:
    """Categories in the store that no config entry names (nor is a parent of); empty if no store yet."""
    from newsdesk.store import store_exists

    if not store_exists(config.database_url):
        return []
    from newsdesk.store.opening import open_store

    store = open_store(config, now)
    try:
        known = {parent for category in config.categories for parent in ancestors(category.id)}
        return [
            (category, store.item_count_in_category(category))
            for category in sorted(store.categories_in_use() - known)
        ]
    finally:
        store.close()
