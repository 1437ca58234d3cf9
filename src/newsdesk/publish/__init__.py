"""Stored items -> feed files under the output folder. Reads only the store, never the network."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from newsdesk.config import Config, default_category_title
from newsdesk.errors import PublishError
from newsdesk.normalize.categories import ancestors
from newsdesk.publish.atom import FeedInfo, render_atom
from newsdesk.publish.files import write_if_changed
from newsdesk.store import Store

log = logging.getLogger(__name__)
ALL = "all"


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def feed_name(category: str | None) -> str:
    """'company/innovation' -> 'company-innovation'; None (every item) -> 'all'."""
    return ALL if category is None else category.replace("/", "-")


def category_titles(config: Config, categories: Iterable[str]) -> dict[str, str]:
    titles = {category: default_category_title(category) for category in categories}
    titles.update({category.id: category.display_title for category in config.categories})
    return titles


def published_categories(config: Config, store: Store) -> set[str]:
    """Every configured or seen category, with every parent of each."""
    seen = {category.id for category in config.categories} | store.categories_in_use()
    return {parent for category in seen for parent in ancestors(category)}


def publish(config: Config, store: Store, categories: Iterable[str] | None = None) -> PublishReport:
    """Write the feeds of `categories` (and of their parents, and all.atom); default: every feed."""
    wanted = published_categories(config, store)
    if categories is not None:
        touched = {parent for category in categories for parent in ancestors(category)}
        wanted &= touched
    titles = category_titles(config, wanted | store.categories_in_use())
    report = PublishReport()
    empty_updated = store.created()
    for category in [None, *sorted(wanted)]:
        name = feed_name(category)
        file = config.output_dir / f"{name}.atom"
        title = config.site.title if category is None else f"{config.site.title}: {titles[category]}"
        info = FeedInfo(
            title=title,
            self_url=f"{config.site.url}{name}.atom",
            site_url=config.site.url,
            author=config.site.author,
            language=config.site.language,
        )
        entries = store.latest_items(category, config.max_entries)
        content = render_atom(info, entries, category_titles=titles, empty_updated=empty_updated)
        try:
            changed = write_if_changed(file, content)
        except PublishError as exc:
            log.error("%s", exc)
            report.errors.append(str(exc))
            continue
        (report.written if changed else report.unchanged).append(file.name)
    return report
