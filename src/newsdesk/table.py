"""Plain-text tables for a terminal (`status`, `preview`): columns two spaces apart, long cells cut."""

from __future__ import annotations

from collections.abc import Sequence


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cut_middle(text: str, width: int) -> str:
    """For addresses, whose both ends matter: 'file:///tmp/…/fr/index.html'."""
    if len(text) <= width:
        return text
    head = (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def table_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], limits: Sequence[int] | None = None
) -> list[str]:
    """The header line then one line per row; a cell longer than its column's limit ends with '…'."""
    if limits is not None:
        rows = [[cut(cell, limit) for cell, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [
        max([len(header)] + [len(row[column]) for row in rows]) for column, header in enumerate(headers)
    ]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *rows]
    ]
