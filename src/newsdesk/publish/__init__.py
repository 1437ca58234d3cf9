"""Stored items -> every output file. Reads only the store, never the network.

Per feed (all, each category and each parent): <name>.atom, <name>.rss, <name>.json, the page a
browser gets for it (<name>.html) and embed/<name>.html, all from the same entries in the same order;
then feeds.opml, index.html, the site's icon (and logo) and the static embed.js and feed.xsl. Dates are
written in the zone of the site (or of the story's source), so the day a person reads is the site's.
Every file is written atomically and only when its bytes change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.config import Config
from newsdesk.errors import PublishError
from newsdesk.models import StoredItem
from newsdesk.normalize.categories import ancestors
from newsdesk.publish.files import write_if_changed
from newsdesk.store import Store

if TYPE_CHECKING:  # the renderers (feedgen, Jinja2) load when something is published, not before
    from newsdesk.publish.atom import FeedInfo
    from newsdesk.publish.images import SiteImages
    from newsdesk.publish.pages import FeedPage

log = logging.getLogger(__name__)
ALL = "all"
STATIC_ASSETS = ("embed.js", "feed.xsl")


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False  # nothing changed since the last publish: no file was rendered

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


def category_titles(
    config: Config, categories: Iterable[str], labels: dict[str, str] | None = None
) -> dict[str, str]:
    """Configured titles; a category made from page labels reads as the sites wrote them
    ("Höhenpark Killesberg"), under its parent's title ("Student life - Clubs")."""
    configured = {category.id: category.display_title for category in config.categories}
    written = labels or {}

    def title(category: str) -> str:
        if category in configured:
            return configured[category]
        parent, _, segment = category.rpartition("/")
        own = written.get(category) or segment.replace("-", " ").capitalize()
        return f"{title(parent)} - {own}" if parent else own

    return {category: title(category) for category in {*categories, *configured}}


def in_zone(entry: StoredItem, zones: dict[str, str], site_zone: str) -> StoredItem:
    """The entry's times on the clock of its source's zone (`zones`, by source name; else the site's):
    same instants, the day a person reads is the site's day."""
    from newsdesk.localtime import local

    zone = zones.get(entry.content_source.partition(" ")[0], site_zone)
    return replace(
        entry,
        published=local(entry.published, zone),
        updated=local(entry.updated, zone),
        first_seen=local(entry.first_seen, zone),
    )


def published_categories(config: Config, store: Store) -> set[str]:
    """Every configured or seen category, with every parent of each."""
    seen = {category.id for category in config.categories} | store.categories_in_use()
    return {parent for category in seen for parent in ancestors(category)}


def publish(config: Config, store: Store, categories: Iterable[str] | None = None) -> PublishReport:
    """Write the feeds of `categories` (with their parents and `all`); default: every feed.

    Reads the store, never writes it. The site-wide files (feeds.opml, index.html, embed.js,
    feed.xsl) are rewritten every time, which costs nothing when their bytes did not change.
    """
    from newsdesk.publish.images import site_images
    from newsdesk.publish.opml import render_opml
    from newsdesk.publish.pages import FeedPage, render_feed_page, render_index

    every = published_categories(config, store)
    titles = category_titles(config, every, store.category_labels())
    images = site_images(config)
    language = config.site.language
    zones = {source.name: config.source_zone(source) for source in config.sources}
    wanted = every
    if categories is not None:
        wanted = every & {parent for category in categories for parent in ancestors(category)}
    report = PublishReport()
    folder = config.output_dir
    empty_updated = store.created()
    pages: list[FeedPage] = []
    names = feed_names(every)
    for category in [None, *sorted(every)]:
        info = _feed_info(config, category, titles, names, images)
        stored = store.latest_items(category, config.max_entries)
        entries = [in_zone(entry, zones, config.site.timezone) for entry in stored]
        page = FeedPage(category, info, titles[category] if category else "All news", entries)
        pages.append(page)
        if category is None or category in wanted:
            _write_feed(report, folder, page, titles, _updated(entries, empty_updated), language)
            report.write(folder, f"{info.name}.html", partial(render_feed_page, page, language=language))
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
            title=config.site.title,
            site_url=config.site.url,
            language=language,
            feeds=pages,
            icon_url=images.icon_url,
        ),
    )
    for name, image in images.files.items():
        report.write(folder, name, partial(bytes, image))
    for asset in STATIC_ASSETS:
        report.write(folder, asset, partial(_asset, asset))
    return report


def _feed_info(
    config: Config,
    category: str | None,
    titles: dict[str, str],
    names: dict[str, str],
    images: SiteImages,
) -> FeedInfo:
    from newsdesk.publish.atom import FeedInfo

    site = config.site
    name = ALL if category is None else names[category]
    if category is None:
        title, subtitle, html_url = site.title, f"The latest stories from {site.title}.", site.url
    else:
        title = f"{site.title}: {titles[category]}"
        subtitle = f"The latest stories from {site.title} in {titles[category]}."
        html_url = f"{site.url}#{name}"  # its section of index.html
    return FeedInfo(
        name=name,
        title=title,
        site_url=site.url,
        author=site.author,
        language=site.language,
        subtitle=subtitle,
        html_url=html_url,
        icon_url=images.icon_url,
        logo_url=images.logo_url,
        rss_image_url=images.rss_image_url,
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
    from newsdesk.publish.atom import render_atom
    from newsdesk.publish.jsonfeed import render_json_feed
    from newsdesk.publish.pages import render_embed
    from newsdesk.publish.rss import render_rss

    info, entries = page.info, page.entries
    report.write(
        folder,
        f"{info.name}.atom",
        lambda: render_atom(info, entries, category_titles=titles, updated=updated),
    )
    report.write(
        folder, f"{info.name}.rss", lambda: render_rss(info, entries, category_titles=titles, updated=updated)
    )
    report.write(folder, f"{info.name}.json", lambda: render_json_feed(info, entries, category_titles=titles))
    report.write(folder, f"embed/{info.name}.html", lambda: render_embed(page, language=language))


def _asset(name: str) -> bytes:
    return resources.files("newsdesk.publish").joinpath("assets", name).read_bytes()
