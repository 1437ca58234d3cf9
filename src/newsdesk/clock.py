"""The one place that reads the wall clock; everything else takes `now` (or a callable) from its caller."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Whole seconds: stored and published times need no more, and read better."""
    return datetime.now(UTC).replace(microsecond=0)
