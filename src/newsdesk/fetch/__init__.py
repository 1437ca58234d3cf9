"""Fetching, politely: `http` (conditional GET, caps, redirects, SSRF guard, Retry-After),
`politeness` (per-host limits, backoff), `robots` (robots.txt rules and their cache).

The HTTP names most callers want are re-exported here.
"""

from newsdesk.errors import GoneError, RetryLaterError
from newsdesk.fetch.http import (
    Validators,
    fetch,
    host_is_private,
    new_session,
    parse_retry_after,
    user_agent,
)

__all__ = [
    "GoneError",
    "RetryLaterError",
    "Validators",
    "fetch",
    "host_is_private",
    "new_session",
    "parse_retry_after",
    "user_agent",
]
