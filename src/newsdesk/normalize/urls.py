"""Canonical URLs: one spelling per address, so the same story found twice has one identity."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|"
    r"_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wickedid|twclid|ttclid|srsltid)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOWED_SCHEMES = frozenset(DEFAULT_PORTS)
# What the WHATWG URL parser ignores: C0 controls and spaces around a URL, tabs and newlines anywhere.
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
MAX_REFERENCE_LAYERS = 3  # "&amp;#106;" is "j" escaped twice; feeds escape once more than pages


def web_link(href: str | None, base: str) -> str | None:
    """`href` resolved against `base` as a browser reads it, or None unless that is an http(s) link:
    "&#106;avascript:", "java&#x09;script:" or " JavaScript:" is dropped, never joined to `base` as a
    relative path."""
    text = url_text(href or "")
    if not text or hidden_scheme(text):
        return None
    url = urljoin(base, text)
    return url if is_web_url(url) else None


def url_text(href: str) -> str:
    """The text the WHATWG URL parser reads: without surrounding controls and spaces (no-break ones too,
    as pasted from a word processor), tabs, newlines."""
    return href.strip().strip(_C0_OR_SPACE).translate(_TAB_OR_NEWLINE)


def hidden_scheme(url: str) -> bool:
    """True when the URL, or a relative part of it already joined to a base ("https://site/&#106;avascript:"),
    names a scheme other than http(s) once character references are decoded as an HTML attribute is."""
    if _foreign_scheme(url):
        return True
    if "&" not in url:
        return False  # the common case: no reference to decode
    tails = (url[slash + 1 :] for slash, char in enumerate(url) if char == "/")
    return any("&" in tail.split(":", 1)[0] and _foreign_scheme(tail) for tail in tails)


def _foreign_scheme(text: str) -> bool:
    for _ in range(MAX_REFERENCE_LAYERS):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    found = _SCHEME.match(url_text(text))
    return found is not None and found.group(1).lower() not in ALLOWED_SCHEMES


def canonical_url(url: str | None) -> str | None:
    """Lowercase scheme/host, drop default port, fragment and tracking parameters; None if not http(s)."""
    if not url or hidden_scheme(url):
        return None
    try:
        parts = urlsplit(safe_url_string(url_text(url)))
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
