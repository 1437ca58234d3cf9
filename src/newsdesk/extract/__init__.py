"""Page -> [RawItem], one module per source kind; this function picks the module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdesk.config import SourceConfig
from newsdesk.models import Page, RawItem

if TYPE_CHECKING:
    from newsdesk.extract.html import SelectorStats


def extract(source: SourceConfig, page: Page, stats: SelectorStats | None = None) -> list[RawItem]:
    """Raise ExtractError naming source and URL when the page cannot be read as that kind.

    `stats`, when given, collects per-selector counts for html sources (what `preview` shows).
    """
    if source.type == "html":
        from newsdesk.extract.html import extract_html

        assert source.select is not None  # guaranteed by config validation
        return extract_html(page, source.name, source.select, stats)
    if source.type == "feed":
        from newsdesk.extract.feed import extract_feed

        return extract_feed(page, source.name)
    from newsdesk.extract.items import extract_item_file

    return extract_item_file(page, source.name)
