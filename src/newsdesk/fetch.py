"""Polite retrieval of one address: http(s) with timeouts, redirect and size caps; file: for local pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests

from newsdesk import __version__
from newsdesk.config import Config, FetchConfig
from newsdesk.errors import FetchError
from newsdesk.models import Page

CHUNK = 64 * 1024


def user_agent(config: Config) -> str:
    return config.fetch.user_agent or f"newsdesk/{__version__} (+{config.site.url})"


def new_session(config: Config) -> requests.Session:
    """A session per worker thread; requests' Session is not safe to share across threads."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent(config)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    session.max_redirects = config.fetch.max_redirects
    return session


def fetch(
    url: str,
    *,
    source: str,
    settings: FetchConfig,
    session: requests.Session,
    now: Callable[[], datetime],
    accept: str = "*/*",
) -> Page:
    """Retrieve `url`; raise FetchError naming source and URL on any failure."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return _read_file(url, source=source, settings=settings, now=now)
    if scheme not in ("http", "https"):
        raise FetchError(source, url, f"unsupported URL scheme {scheme!r}")
    return _get(url, source=source, settings=settings, session=session, now=now, accept=accept)


def _get(
    url: str,
    *,
    source: str,
    settings: FetchConfig,
    session: requests.Session,
    now: Callable[[], datetime],
    accept: str,
) -> Page:
    deadline = time.monotonic() + settings.timeout
    try:
        response = session.get(
            url,
            headers={"Accept": accept},
            timeout=(settings.connect_timeout, settings.timeout),
            stream=True,
            allow_redirects=True,
        )
    except requests.TooManyRedirects:
        raise FetchError(source, url, f"more than {settings.max_redirects} redirects") from None
    except requests.Timeout:
        raise FetchError(source, url, f"timed out after {settings.timeout:g}s") from None
    except requests.RequestException as exc:
        raise FetchError(source, url, f"request failed: {_reason(exc)}") from None
    with response:
        if response.status_code >= 400:
            raise FetchError(source, url, f"HTTP {response.status_code} {response.reason or ''}".strip())
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > settings.max_bytes:
                    raise FetchError(source, url, f"response larger than the {settings.max_bytes} byte cap")
                if time.monotonic() > deadline:
                    raise FetchError(source, url, f"took longer than {settings.timeout:g}s")
        except requests.RequestException as exc:
            raise FetchError(source, url, f"reading the response failed: {_reason(exc)}") from None
        headers = {key.lower(): value for key, value in response.headers.items()}
        return Page(
            url=response.url,
            status=response.status_code,
            headers=headers,
            body=bytes(body),
            fetched_at=now(),
            requested_url=url,
        )


def _read_file(url: str, *, source: str, settings: FetchConfig, now: Callable[[], datetime]) -> Page:
    parts = urlsplit(url)
    path = Path(url2pathname(unquote(parts.path)))
    try:
        size = path.stat().st_size
        if size > settings.max_bytes:
            raise FetchError(source, url, f"file larger than the {settings.max_bytes} byte cap")
        body = path.read_bytes()
    except FileNotFoundError:
        raise FetchError(source, url, "file not found") from None
    except OSError as exc:
        raise FetchError(source, url, f"cannot read file: {exc.strerror or exc}") from None
    return Page(url=url, status=200, headers={}, body=body, fetched_at=now(), requested_url=url)


def _reason(exc: Exception) -> str:
    """The innermost cause, without urllib3's long nested repr."""
    while exc.__context__ is not None and isinstance(exc.__context__, Exception):
        exc = exc.__context__
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."
