"""Stored items -> every output file. Reads only the store, never the network.

Per feed (all, each category and each parent): <name>.atom, <name>.rss, <name>.json and
embed/<name>.html, all from the same entries in the same order; then feeds.opml, index.html and the
static embed.js and feed.xsl. Every file is written atomically and only when its bytes change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from importlib import resources
from pathlib import Path

from newsdesk.config import Config, default_category_title
from newsdesk.errors import PublishError
from newsdesk.models import StoredItem
from newsdesk.normalize.categories import ancestors
from newsdesk.publish.atom import FeedInfo, render_atom
from newsdesk.publish.files import write_if_changed
from newsdesk.publish.jsonfeed import render_json_feed
from newsdesk.publish.opml import render_opml
from newsdesk.publish.pages import FeedPage, render_embed, render_index
from newsdesk.publish.rss import render_rss
from newsdesk.store import Store

log = logging.getLogger(__name__)
ALL = "all"
STATIC_ASSETS = ("embed.js", "feed.xsl")


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def write(self, folder: Path, name: str, render: Callable[[], bytes]) -> None:
        """Render and write one file; an error is recorded and the previous file stays."""
        try:
            changed = write_if_changed(folder / name, render())
        except PublishError as exc:
            self.errors.append(str(exc))  # reported once, by whoever runs the publish
            return
        (self.written if changed else self.unchanged).append(name)


def feed_name(category: str | None) -> str:
    """'company/innovation' -> 'company-innovation'; None (every item) -> 'all'."""
    return ALL if category is None else category.replace("/", "-")


def feed_names(categories: Iterable[str]) -> dict[str, str]:
    """File stems for categories; in the rare clash ('x-y' and 'x/y'), later ones get '-2', '-3'."""
    names: dict[str, str] = {}
    taken = {ALL}
    for category in sorted(categories):
        name, suffix = feed_name(category), 2
        while name in taken:
            name, suffix = f"{feed_name(category)}-{suffix}", suffix + 1
        taken.add(name)
        names[category] = name
    return names


def category_titles(config: Config, categories: Iterable[str]) -> dict[str, str]:
    titles = {category: default_category_title(category) for category in categories}
    titles.update({category.id: category.display_title for category in config.categories})
    return titles


def published_categories(config: Config, store: Store) -> set[str]:
    """Every configured or seen category, with every parent of each."""
    seen = {category.id for category in config.categories} | store.categories_in_use()
    return {parent for category in seen for parent in ancestors(category)}


def publish(config: Config, store: Store, categories: Iterable[str] | None = None) -> PublishReport:
    """Write the feeds of `categories` (with their parents and `all`); default: every feed.

    Reads the store, never writes it. The site-wide files (feeds.opml, index.html, embed.js,
    feed.xsl) are rewritten every time, which costs nothing when their bytes did not change.
    """
    every = published_categories(config, store)
    titles = category_titles(config, every)
    wanted = every
    if categories is not None:
        wanted = every & {parent for category in categories for parent in ancestors(category)}
    report = PublishReport()
    folder = config.output_dir
    empty_updated = store.created()
    pages: list[FeedPage] = []
    names = feed_names(every)
    for category in [None, *sorted(every)]:
        info = _feed_info(config, category, titles, names)
        entries = store.latest_items(category, config.max_entries)
        page = FeedPage(category, info, titles[category] if category else "All news", entries)
        pages.append(page)
        if category is None or category in wanted:
            _write_feed(report, folder, page, titles, _updated(entries, empty_updated), config.site.language)
    report.write(
        folder,
        "feeds.opml",
        lambda: render_opml(
            config.site.title, config.site.author, [(p.category, p.info, p.short_title) for p in pages]
        ),
    )
    report.write(
        folder,
        "index.html",
        lambda: render_index(
            title=config.site.title, site_url=config.site.url, language=config.site.language, feeds=pages
        ),
    )
    for asset in STATIC_ASSETS:
        report.write(folder, asset, partial(_asset, asset))
    return report


def _feed_info(
    config: Config, category: str | None, titles: dict[str, str], names: dict[str, str]
) -> FeedInfo:
    title = config.site.title if category is None else f"{config.site.title}: {titles[category]}"
    subtitle = (
        f"Latest news from {config.site.title}"
        if category is None
        else f"{titles[category]} news from {config.site.title}"
    )
    return FeedInfo(
        name=ALL if category is None else names[category],
        title=title,
        site_url=config.site.url,
        author=config.site.author,
        language=config.site.language,
        subtitle=subtitle,
    )


def _updated(entries: Sequence[StoredItem], empty: datetime) -> datetime:
    """A feed's `updated` comes from its entries (never the clock), so same data gives same bytes."""
    return max((max(entry.updated, entry.published) for entry in entries), default=empty)


def _write_feed(
    report: PublishReport,
    folder: Path,
    page: FeedPage,
    titles: dict[str, str],
    updated: datetime,
    language: str,
) -> None:
    info, entries = page.info, page.entries
    report.write(
        folder,
        f"{info.name}.atom",
        lambda: render_atom(info, entries, category_titles=titles, updated=updated),
    )
    report.write(folder, f"{info.name}.rss", lambda: render_rss(info, entries, updated=updated))
    report.write(folder, f"{info.name}.json", lambda: render_json_feed(info, entries, category_titles=titles))
    report.write(folder, f"embed/{info.name}.html", lambda: render_embed(page, language=language))


def _asset(name: str) -> bytes:
    return resources.files("newsdesk.publish").joinpath("assets", name).read_bytes()
