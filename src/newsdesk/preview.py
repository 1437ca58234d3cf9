"""`newsdesk preview SOURCE`: what a source yields, as a table, so selectors can be written by trial."""

from __future__ import annotations

from typing import TextIO

from newsdesk.config import Config, SourceConfig
from newsdesk.dedup import collapse
from newsdesk.fetch import new_session
from newsdesk.pipeline import Politeness, collect, utc_now

EXIT_OK, EXIT_FAILED = 0, 1


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def preview(config: Config, source: SourceConfig, out: TextIO) -> int:
    with new_session(config) as session:
        got = collect(
            config,
            source,
            session=session,
            now=utc_now,
            politeness=Politeness.for_config(config, store=None, now=utc_now),
        )
    found, counts, errors = got.items, got.counts, got.errors
    items = collapse(found)
    rows = [
        (
            ", ".join(item.categories) or "-",
            item.published.strftime("%Y-%m-%d %H:%M") if item.published else "-",
            item.title,
            item.url or "-",
        )
        for item in items
    ]
    headers = ("CATEGORY", "DATE", "TITLE", "LINK")
    limits = (28, 16, 60, 90)
    widths = [
        max([len(header)] + [len(_cell(row[column], limits[column])) for row in rows])
        for column, header in enumerate(headers)
    ]
    print("  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)), file=out)
    for row in rows:
        cells = [_cell(value, limits[column]) for column, value in enumerate(row)]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)
    print(file=out)
    for url, count in counts.items():
        print(f"{url}: {count} cards", file=out)
    print(f"{len(items)} distinct items from {len(found)} cards", file=out)
    for item in items:
        if item.unparsed_date:
            print(f"unparsed date {item.unparsed_date!r} in {item.title!r}", file=out)
    for error in errors:
        print(f"error: {error}", file=out)
    return EXIT_FAILED if errors else EXIT_OK
