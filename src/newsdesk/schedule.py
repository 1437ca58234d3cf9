"""When a source is due, and what state it is in: pure functions of (config, stored state, now)."""

from __future__ import annotations

from datetime import datetime, timedelta

from newsdesk.config import SourceConfig
from newsdesk.errors import NoItemsError
from newsdesk.fetch.politeness import backoff_delay
from newsdesk.models import SourceState


def disabled_by_gone(source: SourceConfig, state: SourceState) -> bool:
    """True while the source is disabled by a 410 and its config has not changed since."""
    return state.disabled_config is not None and state.disabled_config == source.fingerprint


def next_regular_run(source: SourceConfig, after: datetime) -> datetime:
    """The next time the source's own schedule (every: or cron:) names after `after`."""
    if source.cron:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(source.cron, timezone=after.tzinfo)
        fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
        return fire or after + source.interval
    return after + source.interval


def next_due(source: SourceConfig, state: SourceState, now: datetime) -> datetime | None:
    """None when disabled (410 Gone, until the config changes); `now` when never refreshed."""
    if disabled_by_gone(source, state):
        return None
    if state.last_attempt is None:
        return now
    if state.failures:
        due = state.last_attempt + backoff_delay(source.interval, state.failures)
    else:
        due = next_regular_run(source, state.last_attempt)
    if state.retry_after and state.retry_after > due:
        due = state.retry_after
    return due


def state_label(source: SourceConfig, state: SourceState, now: datetime) -> str:
    """ok, failing, backing off, disabled, blocked by robots, no items found (its selectors never
    found one), or new (never refreshed)."""
    if not source.enabled or disabled_by_gone(source, state):
        return "disabled"
    if state.failures:
        if state.error_kind == "robots":
            return "blocked by robots"
        if state.error_kind == NoItemsError.kind:  # a wrong selector: waiting will not mend it
            return "no items found"
        if (state.retry_after and state.retry_after > now) or state.failures >= 2:
            return "backing off"
        return "failing"
    return "ok" if state.last_success else "new"
