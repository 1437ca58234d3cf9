"""A store opened for a config: created or upgraded, and with categories moved where the config now
files their labels. What every command that reads or writes the store starts with."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from newsdesk.config import Config
from newsdesk.dedup.policy import DedupPolicy, Settings
from newsdesk.normalize.categories import relabelled
from newsdesk.store import Store

log = logging.getLogger("newsdesk")


def dedup_policy(config: Config) -> DedupPolicy:
    return DedupPolicy.from_pairs(
        enabled=config.dedup.near,
        settings=Settings(threshold=config.dedup.threshold, window_days=config.dedup.window_days),
        never_merge=config.dedup.never_merge,
        always_merge=config.dedup.always_merge,
    )


def open_store(config: Config, now: datetime) -> Store:
    """The config's store, ready to read and write."""
    store = Store(
        config.database_url,
        site_host=urlsplit(config.site.url).hostname or "localhost",
        dedup=dedup_policy(config),
    )
    store.create(now)
    moved = store.remap_categories(relabelled(config))
    if moved:
        log.info(
            "moved %d item(s) from invented categories to the ones %s now names", moved, config.path.name
        )
    return store
