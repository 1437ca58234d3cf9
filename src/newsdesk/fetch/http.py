"""Polite retrieval of one address: conditional GET, timeouts, size cap, redirects; file: for local pages."""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import getproxies, url2pathname

import requests

from newsdesk import __version__
from newsdesk.config import Config, FetchConfig
from newsdesk.errors import FetchError, GoneError, RetryLaterError
from newsdesk.models import Page

CHUNK = 64 * 1024
PERMANENT_REDIRECTS = frozenset({301, 308})

try:  # urllib3 decodes br only when a Brotli binding is installed
    import brotli  # noqa: F401

    ACCEPT_ENCODING = "gzip, deflate, br"
except ImportError:  # brotli is optional (the `brotli` extra): without it, ask for gzip only
    ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True)
class Validators:
    """What the last good response said about itself, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def user_agent(config: Config) -> str:
    return config.fetch.user_agent or f"newsdesk/{__version__} (+{config.site.url})"


def new_session(config: Config) -> requests.Session:
    """A session per worker thread; requests' Session is not safe to share across threads."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent(config)
    session.headers["Accept-Encoding"] = ACCEPT_ENCODING
    session.max_redirects = config.fetch.max_redirects
    if not _environment_matters():
        # requests reads the environment (proxies, CA bundle, ~/.netrc) again for every request;
        # with no proxy and no netrc there is only the CA bundle to read, once.
        session.trust_env = False
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return session


def _environment_matters() -> bool:
    """True when a proxy variable or a netrc file may change a request, as requests would read them."""
    if getproxies():
        return True
    netrc = os.environ.get("NETRC")
    candidates = [netrc] if netrc else ["~/.netrc", "~/_netrc"]
    return any(Path(name).expanduser().exists() for name in candidates)


def fetch(
    url: str,
    *,
    source: str,
    settings: FetchConfig,
    session: requests.Session,
    now: Callable[[], datetime],
    accept: str = "*/*",
    validators: Validators | None = None,
    raise_for_status: bool = True,
    allow_private: bool = False,
    is_private: Callable[[str], bool] | None = None,
) -> Page:
    """Retrieve `url`; raise FetchError (naming source and URL) on any failure.

    A 304 answer to a conditional request is a Page with not_modified=True and no body.
    Redirects are followed here, hop by hop, so that none leads to another scheme, or from a public
    address to a private one (loopback, LAN, link-local) unless `allow_private`. A source whose own
    address is private is allowed there: the maintainer wrote it.
    """
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return _read_file(url, source=source, settings=settings, now=now)
    if scheme not in ("http", "https"):
        raise FetchError(source, url, f"unsupported URL scheme {scheme!r}")
    headers = {"Accept": accept, **(validators.headers() if validators else {})}
    deadline = time.monotonic() + settings.timeout
    private = is_private or host_is_private
    allow_private = allow_private or private(urlsplit(url).hostname or "")
    current, moved = url, False
    for _hop in range(settings.max_redirects + 1):
        try:
            response = session.get(
                current,
                headers=headers,
                timeout=(settings.connect_timeout, settings.timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise FetchError(source, url, f"timed out after {settings.timeout:g}s") from exc
        except requests.RequestException as exc:
            raise FetchError(source, url, f"request failed: {_reason(exc)}") from exc
        if not response.is_redirect:
            break
        target = urljoin(current, response.headers.get("location", ""))
        response.close()
        target_parts = urlsplit(target)
        if target_parts.scheme not in ("http", "https"):
            raise FetchError(source, url, f"redirected to an unsupported address {target!r}")
        if not allow_private and private(target_parts.hostname or ""):
            raise FetchError(
                source, url, f"redirected to a private address {target!r} (set allow_private: true to allow)"
            )
        moved = moved or response.status_code in PERMANENT_REDIRECTS
        current = target
    else:
        raise FetchError(source, url, f"more than {settings.max_redirects} redirects")
    with response:
        headers_out = {key.lower(): value for key, value in response.headers.items()}
        page = Page(
            url=current,
            status=response.status_code,
            headers=headers_out,
            body=b"",
            fetched_at=now(),
            requested_url=url,
            permanently_moved_to=current if moved else None,
        )
        if response.status_code == 304:
            return replace(page, not_modified=True)
        if response.status_code >= 400 and raise_for_status:
            _raise_for_status(response, source, url, page.fetched_at)
        body = _read_body(response, source, url, settings, deadline)
    return replace(page, body=body)


def host_is_private(host: str) -> bool:
    """True when the host is, or resolves to, a loopback, private, link-local or reserved address."""
    host = host.strip("[]")
    if not host:
        return True
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError):
            return False  # unresolvable: the request itself will fail with a clear error
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return any(
        a.is_private
        or a.is_loopback
        or a.is_link_local
        or a.is_reserved
        or a.is_multicast
        or a.is_unspecified
        for a in addresses
    )


def _raise_for_status(response: requests.Response, source: str, url: str, now: datetime) -> None:
    status = response.status_code
    message = f"HTTP {status} {response.reason or ''}".strip()
    if status == 410:
        raise GoneError(source, url, message + ": the source is disabled until its config changes")
    if status in (429, 503):
        until = parse_retry_after(response.headers.get("Retry-After"), now)
        if until is not None:
            raise RetryLaterError(source, url, f"{message}, retry after {until.isoformat()}", until)
    raise FetchError(source, url, message)


def _read_body(
    response: requests.Response, source: str, url: str, settings: FetchConfig, deadline: float
) -> bytes:
    """Stream the (decoded) body, enforcing the size cap and a total-time cap as bytes arrive.

    read1 returns whatever has arrived, so a server dripping one byte a second is cut at the deadline.
    """
    body = bytearray()
    try:
        while chunk := response.raw.read1(CHUNK, decode_content=True):
            body += chunk
            if len(body) > settings.max_bytes:
                raise FetchError(source, url, f"response larger than the {settings.max_bytes} byte cap")
            if time.monotonic() > deadline:
                raise FetchError(source, url, f"took longer than {settings.timeout:g}s")
    except FetchError:
        raise
    except Exception as exc:
        if "timed out" in str(exc).lower():
            raise FetchError(source, url, f"timed out after {settings.timeout:g}s") from exc
        raise FetchError(source, url, f"reading the response failed: {_reason(exc)}") from exc
    return bytes(body)


def _read_file(url: str, *, source: str, settings: FetchConfig, now: Callable[[], datetime]) -> Page:
    path = Path(url2pathname(unquote(urlsplit(url).path)))
    try:
        if path.stat().st_size > settings.max_bytes:
            raise FetchError(source, url, f"file larger than the {settings.max_bytes} byte cap")
        body = path.read_bytes()
    except FileNotFoundError as exc:
        raise FetchError(source, url, "file not found") from exc
    except OSError as exc:
        raise FetchError(source, url, f"cannot read file: {exc.strerror or exc}") from exc
    return Page(url=url, status=200, headers={}, body=body, fetched_at=now(), requested_url=url)


def _reason(exc: BaseException) -> str:
    """The innermost cause, without urllib3's long nested repr."""
    while isinstance(exc.__context__, Exception):
        exc = exc.__context__
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 10.2.3); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment, now)
