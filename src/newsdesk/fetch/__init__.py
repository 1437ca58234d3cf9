"""Fetching, politely: `http` (conditional GET, caps, redirects, SSRF guard, Retry-After),
`politeness` (per-host limits, backoff), `robots` (robots.txt rules and their cache).

Nothing is imported here: the scheduler reads `politeness` without loading an HTTP client.
"""
