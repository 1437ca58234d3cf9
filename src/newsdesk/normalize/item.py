"""RawItem -> Item: canonical URL, clean text, canonical categories, aware UTC dates, sanitized HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsdesk.config import Config, SourceConfig
from newsdesk.markup import html_fragment_text, title_text
from newsdesk.models import Item, RawItem
from newsdesk.normalize.categories import CategoryResolver
from newsdesk.normalize.dates import parse_date
from newsdesk.normalize.sanitize import sanitize_html, text_to_html
from newsdesk.normalize.urls import canonical_url
from newsdesk.text import clean_text, shorten

MAX_SUMMARY_CHARS = 4000
FUTURE_TOLERANCE = timedelta(days=1)  # clocks and zones: a story dated "tomorrow" by a day is not ahead
TITLE_FROM_SUMMARY = 90


@dataclass(frozen=True)
class Normalizer:
    """Everything normalizing needs about one source, resolved once per refresh."""

    source: SourceConfig
    language: str
    timezone: str
    categories: CategoryResolver

    @classmethod
    def for_source(cls, config: Config, source: SourceConfig) -> Normalizer:
        return cls(
            source=source,
            language=config.source_language(source),
            timezone=config.source_zone(source),
            categories=CategoryResolver(config),
        )

    def normalize(self, raw: RawItem, fetched_at: datetime) -> Item | None:
        """None for a card with no title: nothing a reader could recognise."""
        # Titles are text: one that holds markup is read as HTML, as readers would ("a < b" stays).
        title = title_text(raw.title, is_html=raw.title_is_html)
        base = raw.link or raw.page_url
        if raw.summary is None:
            summary_html = ""
        elif raw.summary_is_html:
            summary_html = sanitize_html(raw.summary, base)
        else:
            summary_html = text_to_html(clean_text(raw.summary))
        summary_text = html_fragment_text(summary_html)
        if len(summary_text) > MAX_SUMMARY_CHARS:
            # A page's whole article in a teaser field: keep a teaser, not megabytes in every feed.
            summary_text = shorten(summary_text, MAX_SUMMARY_CHARS)
            summary_html = text_to_html(summary_text)
        if not title and summary_text:
            title = title_text(shorten(summary_text, TITLE_FROM_SUMMARY))  # RSS allows items with no title
        if not title:
            return None
        categories, invented, labels = self.categories.resolve(raw.categories)
        if not categories and self.source.category:
            categories = (self.source.category,)
        published = parse_date(
            raw.date_text,
            language=self.language,
            now=fetched_at,
            timezone=self.timezone,
            date_format=self.source.date_format,
        )
        future = None
        if published is not None and published > fetched_at + FUTURE_TOLERANCE:
            # An agenda's "6 December" names the event, not the story: no feed dates an entry ahead.
            future, published = raw.date_text, None
        return Item(
            source=raw.source,
            url=canonical_url(raw.link),
            title=title,
            summary_html=summary_html,
            summary_text=summary_text,
            categories=categories,
            published=published,
            image=canonical_url(raw.image),
            language=self.language,
            guid=clean_text(raw.guid) or None,
            new_categories=invented,
            labels=labels,
            unparsed_date=raw.date_text if raw.date_text and published is None and future is None else None,
            future_date=future,
            page_url=raw.page_url,
        )
