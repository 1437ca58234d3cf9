"""RSS 2.0 with atom:link rel=self, from the same entries as the Atom feed (feedgen)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from feedgen.feed import FeedGenerator

from newsdesk import __version__
from newsdesk.models import StoredItem
from newsdesk.publish.atom import GENERATOR_URI, FeedInfo, with_stylesheet

# feedgen's RFC 822 formatting switches the process-wide locale while it works: one render at a time.
_LOCALE_LOCK = threading.Lock()


def render_rss(
    info: FeedInfo, entries: Sequence[StoredItem], *, category_titles: dict[str, str], updated: datetime
) -> bytes:
    feed = FeedGenerator()
    feed.title(info.title)
    feed.description(info.subtitle or info.title)
    # RSS <link> comes from the last link() call: self first, the site last.
    feed.link(href=info.url_for("rss"), rel="self", type="application/rss+xml")
    feed.link(href=info.page_url, rel="alternate")
    if info.rss_image_url:
        feed.image(url=info.rss_image_url, title=info.title, link=info.page_url)
    feed.language(info.language)
    feed.lastBuildDate(updated)  # feedgen's default is "now": same data must give same bytes
    feed.generator("newsdesk", version=__version__, uri=GENERATOR_URI)
    for stored in entries:
        entry = feed.add_entry(order="append")
        entry.title(stored.title)
        if stored.url:
            entry.link(href=stored.url)
        # Our ids are tag: URIs, not addresses: a guid that is no permalink.
        entry.guid(stored.entry_id, permalink=stored.entry_id == stored.url)
        if stored.summary_html:
            entry.description(stored.summary_html)
        if stored.content_html:  # the article's full text (enrich: content), as content:encoded
            entry.content(stored.content_html)
        if stored.date_from_source:  # undated: no date a reader would take for the story's own
            entry.pubDate(stored.published)
        for category in stored.categories:
            entry.category(term=category_titles.get(category, category))
    with _LOCALE_LOCK:
        document: bytes = feed.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return with_stylesheet(document)
