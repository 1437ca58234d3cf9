"""Page -> [RawItem], one module per source kind; this function picks the module."""

from __future__ import annotations

from newsdesk.config import SourceConfig
from newsdesk.models import Page, RawItem


def extract(source: SourceConfig, page: Page) -> list[RawItem]:
    """Everything found, as found; raise ExtractError naming source and URL when the page cannot be
    read as that kind. `is_item` tells which of them are news items."""
    return extract_read(source, page)[0]


def extract_read(source: SourceConfig, page: Page) -> tuple[list[RawItem], str | None]:
    """What `extract` finds, and for `type: auto` how discovery read the page (else None)."""
    if source.type == "auto":
        from newsdesk.errors import ExtractError
        from newsdesk.extract.discover import discover_page

        discovery = discover_page(page, source.name)
        if discovery.problem:
            raise ExtractError(source.name, page.url, discovery.problem)
        return discovery.items, discovery.recipe
    return _extract(source, page), None


def _extract(source: SourceConfig, page: Page) -> list[RawItem]:
    if source.type == "html":
        from newsdesk.extract.html import extract_html

        assert source.select is not None  # guaranteed by config validation
        return extract_html(page, source.name, source.select)
    if source.type == "feed":
        from newsdesk.extract.feed import extract_feed

        return extract_feed(page, source.name)
    from newsdesk.extract.items import extract_item_file

    return extract_item_file(page, source.name)


def is_item(source: SourceConfig, found: RawItem) -> bool:
    """A card with neither a title nor a link is a block the item selector also matched, not news.
    (A feed entry may have neither: its text gives the title.)"""
    return source.type not in ("html", "auto") or bool(found.title or found.link)
