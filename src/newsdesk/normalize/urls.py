"""Canonical URLs: one spelling per address, so the same story found twice has one identity."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import safe_url_string

TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wickedid|twclid|ttclid|srsltid)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOWED_SCHEMES = frozenset(DEFAULT_PORTS)


def canonical_url(url: str | None) -> str | None:
    """Lowercase scheme/host, drop default port, fragment and tracking parameters; None if not http(s)."""
    if not url:
        return None
    try:
        parts = urlsplit(safe_url_string(url.strip()))
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if parts.username:
        return None  # credentials in a published link are a leak, never a story
    # Parameters are filtered as written: decoding and re-encoding would change what the site sees
    # (%2F and / are not the same thing in a query, RFC 3986 6.2.2).
    query = "&".join(
        segment
        for segment in parts.query.split("&")
        if segment and not TRACKING.match(unquote_plus(segment.split("=", 1)[0]))
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def is_web_url(url: str | None) -> bool:
    return bool(url) and urlsplit(str(url)).scheme.lower() in ALLOWED_SCHEMES
