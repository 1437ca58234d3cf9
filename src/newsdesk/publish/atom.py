"""Atom 1.0 (RFC 4287) documents from stored items, with feedgen; same data in, same bytes out."""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from newsdesk import __version__
from newsdesk.models import StoredItem

GENERATOR_URI = "https://github.com/newsdesk/newsdesk"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class EntryExtras(BaseEntryExtension):  # type: ignore[misc]
    """What feedgen 1.0 cannot write: its entry links lose rel/type, and entries have no xml:lang."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.language: str | None = None

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for attributes in self.links:
            etree.SubElement(entry, "link", attributes)  # feedgen builds un-namespaced elements
        if self.language:
            entry.set(XML_LANG, self.language)
        return entry


STYLESHEET = b'<?xml-stylesheet type="text/xsl" href="feed.xsl"?>\n'


@dataclass(frozen=True)
class FeedInfo:
    """Everything about one feed that is not its entries; `name` is the file stem (all, research)."""

    name: str
    title: str
    site_url: str
    author: str
    language: str
    subtitle: str | None = None
    html_url: str = ""  # the page for people: the feed's section of index.html
    icon_url: str | None = None
    logo_url: str | None = None
    rss_image_url: str | None = None

    @property
    def page_url(self) -> str:
        return self.html_url or self.site_url

    def url_for(self, extension: str) -> str:
        """The public address of this feed in one format: site.url + name.extension."""
        return f"{self.site_url}{self.name}.{extension}"

    @property
    def self_url(self) -> str:
        return self.url_for("atom")


def with_stylesheet(document: bytes) -> bytes:
    """Reference feed.xsl so a browser shows a readable page; feed readers ignore it."""
    declaration, _, rest = document.partition(b"?>\n")
    return declaration + b"?>\n" + STYLESHEET + rest


def render_atom(
    info: FeedInfo,
    entries: Sequence[StoredItem],
    *,
    category_titles: dict[str, str],
    updated: datetime,
) -> bytes:
    feed = FeedGenerator()
    feed.id(info.self_url)
    feed.title(info.title)
    if info.subtitle:
        feed.subtitle(info.subtitle)
    # feedgen stamps `updated` with the current time unless told: derive it from the data.
    feed.updated(updated)
    feed.author({"name": info.author})
    feed.link(href=info.self_url, rel="self", type="application/atom+xml")
    feed.link(href=info.page_url, rel="alternate", type="text/html")
    feed.language(info.language)
    if info.icon_url:
        feed.icon(info.icon_url)
    if info.logo_url:
        feed.logo(info.logo_url)
    feed.generator("newsdesk", version=__version__, uri=GENERATOR_URI)
    for stored in entries:  # already newest first; append keeps that order
        entry = feed.add_entry(order="append")
        entry.id(stored.entry_id)
        entry.title(stored.title)
        entry.register_extension("newsdesk", EntryExtras, atom=True, rss=False)
        extras: EntryExtras = entry.newsdesk
        if stored.language != info.language:
            extras.language = stored.language
        if stored.url:
            entry.link(href=stored.url)  # rel="alternate" is Atom's default
        for language, url in stored.alternates:  # the same story in another language
            extras.links.append({"rel": "alternate", "type": "text/html", "hreflang": language, "href": url})
        if stored.summary_html:
            entry.summary(stored.summary_html, type="html")
        elif stored.url:  # Atom wants some text; the title again would show twice: where the story is
            entry.summary(urlsplit(stored.url).hostname or stored.url, type="text")
        if stored.content_html:  # the article's full text (enrich: content)
            entry.content(stored.content_html, type="html")
        elif not stored.url:
            # Atom needs an alternate link or a content element: a story from no page gets its text.
            entry.content(stored.summary_html or html.escape(stored.title), type="html")
        if stored.date_from_source:  # an undated story gets no date a reader would take for its own
            entry.published(stored.published)
        entry.updated(max(stored.updated, stored.published))
        for category in stored.categories:
            entry.category(term=category, label=category_titles.get(category, category))
        if stored.image:
            image_type = _image_type(stored.image)
            if image_type:
                extras.links.append({"rel": "enclosure", "type": image_type, "href": stored.image})
    document: bytes = feed.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return with_stylesheet(document)


def _image_type(url: str) -> str | None:
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return guessed if guessed and guessed.startswith("image/") else None
