"""`newsdesk status`: one row per source, read-only, safe while the daemon runs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from newsdesk.config import Config
from newsdesk.localtime import moment_text
from newsdesk.models import SourceState
from newsdesk.schedule import next_due, state_label
from newsdesk.store import Store, store_exists
from newsdesk.table import cut, table_lines

if TYPE_CHECKING:
    from newsdesk.workers_status import WorkersView

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
    """The sources' table; with `workers:` also the queue, the tasks and each worker's heartbeat
    (and `--json` gives {"sources": [...], "workers": {...}} instead of the sources' list)."""
    from newsdesk.workers_status import workers_view

    rows = source_rows(config, now)
    view = workers_view(config, now)
    columns: tuple[tuple[str, str], ...] = COLUMNS
    if view is not None:
        for row in rows:
            row["worker"] = view.last_worker.get(row["name"])
        columns = (*COLUMNS[:-1], ("worker", "WORKER"), COLUMNS[-1])
    if as_json:
        document: Any = rows if view is None else {"sources": rows, "workers": view.as_json()}
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    zone = config.site.timezone
    table = [[_cell(key, row[key], row["name"], zone) for key, _ in columns] for row in rows]
    for line in table_lines([title for _, title in columns], table):
        out.write(line + "\n")
    if view is not None:
        for line in workers_lines(view, zone):
            out.write(line + "\n")
    return 0


def workers_lines(view: WorkersView, zone: str) -> list[str]:
    """Below the table: the scheduler, the queue and the tasks in a line each, then the workers."""
    counts = view.counts
    waiting = view.broker_error or f"{view.waiting} waiting"
    lines = [
        "",
        f"scheduler: {view.scheduler or 'none yet (start newsdesk daemon)'}",
        f"queue {view.queue!r} at {view.broker}: {waiting}",
        f"tasks: {counts.running} running, {counts.queued} queued, "
        f"{counts.failed_last_day} failed and {counts.done_last_day} done in the last 24 h",
    ]
    if not view.workers:
        lines.append("workers: none has started yet (start newsdesk worker)")
        return lines
    assert view.now is not None
    table = [
        [
            row.name,
            row.host,
            str(row.concurrency),
            f"{moment_text(row.heartbeat, zone)} ({_ago(view.now, row.heartbeat)})",
            view.state(row),
        ]
        for row in view.workers
    ]
    lines.append("")
    lines.extend(table_lines(["WORKER", "HOST", "PROCESSES", "LAST HEARTBEAT", "STATE"], table))
    return lines


def _ago(now: datetime, moment: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _cell(key: str, value: Any, name: str, zone: str) -> str:
    if value is None:
        return "-"
    if key in ("last_attempt", "last_success", "next_due"):  # on the site's clock, its zone named
        return moment_text(datetime.fromisoformat(value), zone)
    if key == "last_error":  # the row names the source already: room for the rest of the message
        return cut(str(value).removeprefix(f"source {name!r}").lstrip(": "), ERROR_WIDTH)
    return cut(str(value), 80)
