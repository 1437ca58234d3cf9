"""`newsdesk status`: one row per source, read-only, safe while the daemon runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO

from newsdesk.config import Config
from newsdesk.localtime import moment_text
from newsdesk.models import SourceState
from newsdesk.schedule import next_due, state_label
from newsdesk.store import Store, store_exists
from newsdesk.table import cut, table_lines

COLUMNS = (
    ("name", "SOURCE"),
    ("state", "STATE"),
    ("last_attempt", "LAST ATTEMPT"),
    ("last_success", "LAST SUCCESS"),
    ("failures", "FAILS"),
    ("items", "ITEMS"),
    ("next_due", "NEXT DUE"),
    ("last_error", "LAST ERROR"),
)
ERROR_WIDTH = 120


def source_rows(config: Config, now: datetime) -> list[dict[str, Any]]:
    states: dict[str, SourceState] = {}
    url = config.database_url
    if store_exists(url):
        store = Store(url, site_host="localhost")  # no create(): reading must not write
        try:
            states = store.source_states(item_counts=True) if store.is_created() else {}
        finally:
            store.close()
    rows = []
    for source in config.sources:
        state = states.get(source.name) or SourceState(source.name)
        due = next_due(source, state, now) if source.enabled else None
        rows.append(
            {
                "name": source.name,
                "state": state_label(source, state, now),
                "last_attempt": _iso(state.last_attempt),
                "last_success": _iso(state.last_success),
                "failures": state.failures,
                "last_error": (state.last_error or "").splitlines()[0] if state.last_error else None,
                "items": state.items,
                "next_due": _iso(max(due, now) if due else None),
            }
        )
    return rows


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def print_status(config: Config, now: datetime, out: TextIO, *, as_json: bool) -> int:
    rows = source_rows(config, now)
    if as_json:
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    zone = config.site.timezone
    table = [[_cell(key, row[key], row["name"], zone) for key, _ in COLUMNS] for row in rows]
    for line in table_lines([title for _, title in COLUMNS], table):
        out.write(line + "\n")
    return 0


def _cell(key: str, value: Any, name: str, zone: str) -> str:
    if value is None:
        return "-"
    if key in ("last_attempt", "last_success", "next_due"):  # on the site's clock, its zone named
        return moment_text(datetime.fromisoformat(value), zone)
    if key == "last_error":  # the row names the source already: room for the rest of the message
        return cut(str(value).removeprefix(f"source {name!r}").lstrip(": "), ERROR_WIDTH)
    return cut(str(value), 80)
