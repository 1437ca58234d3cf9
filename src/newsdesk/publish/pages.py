"""index.html, <name>.html (a feed opened in a browser) and embed/<name>.html: pages for people,
rendered by Jinja2 with autoescaping on. Dates come in the site's zone; they are written out in the
page's language, and only for stories whose source dated them.

Every value from a feed is inserted as escaped text; links are the canonical http(s) URLs the
normalizer kept, so nothing from a source can run script on our pages or a partner's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from newsdesk.localtime import written_day
from newsdesk.models import StoredItem
from newsdesk.publish.atom import FeedInfo
from newsdesk.text import shorten

INDEX_ITEMS = 5
EMBED_ITEMS = 10
SUMMARY_CHARS = 240


@dataclass(frozen=True)
class FeedPage:
    """One feed as the pages show it."""

    category: str | None
    info: FeedInfo
    short_title: str
    entries: Sequence[StoredItem]

    @property
    def depth(self) -> int:
        return 0 if self.category is None else self.category.count("/")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("newsdesk.publish", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["shorten"] = lambda text, limit=SUMMARY_CHARS: shorten(text, limit)
    environment.filters["day"] = lambda moment, language: written_day(moment.date(), language)
    return environment


def render_index(
    *, title: str, site_url: str, language: str, feeds: Sequence[FeedPage], icon_url: str | None
) -> bytes:
    template = _environment().get_template("index.html.j2")
    return template.render(
        title=title, site_url=site_url, language=language, feeds=feeds, limit=INDEX_ITEMS, icon_url=icon_url
    ).encode("utf-8")


def render_feed_page(page: FeedPage, *, language: str) -> bytes:
    """What a browser gets for a feed: the stories, and how to follow them in a feed reader."""
    template = _environment().get_template("feed.html.j2")
    return template.render(feed=page, language=language).encode("utf-8")


def render_embed(page: FeedPage, *, language: str) -> bytes:
    template = _environment().get_template("embed.html.j2")
    return template.render(feed=page, language=language, limit=EMBED_ITEMS).encode("utf-8")
