"""robots.txt per origin, fetched through the same polite fetcher and cached a day (in memory and store)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import requests
from protego import Protego

from newsdesk.config import FetchConfig
from newsdesk.errors import DatabaseError, FetchError, RobotsBlocked, StoreError
from newsdesk.fetch.http import fetch
from newsdesk.fetch.politeness import Limiter, origin_of
from newsdesk.models import Page
from newsdesk.store import Store

log = logging.getLogger(__name__)
ROBOTS_TTL = timedelta(days=1)
ROBOTS_RETRY = timedelta(hours=1)  # robots.txt that could not be read is asked again sooner


class RobotsRules:
    """robots.txt of one origin, parsed with protego (Google's rules: wildcards, longest match)."""

    def __init__(self, body: str | None) -> None:
        self._parser = Protego.parse(body) if body else None

    def allows(self, url: str, agent: str) -> bool:
        return True if self._parser is None else bool(self._parser.can_fetch(url, agent))


class RobotsCache:
    """Answers 'may we fetch this URL?', asking each origin for robots.txt at most once a day."""

    def __init__(
        self,
        *,
        agent: str,
        settings: FetchConfig,
        now: Callable[[], datetime],
        store: Store | None = None,
    ) -> None:
        self.agent = agent
        self.settings = settings
        self.now = now
        self.store = store
        self._lock = threading.Lock()
        self._memory: dict[str, tuple[RobotsRules, datetime]] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def check(self, url: str, *, source: str, session: requests.Session, limiter: Limiter | None) -> None:
        """Raise RobotsBlocked when robots.txt disallows `url`."""
        if not self._rules(url, source, session, limiter).allows(url, self.agent):
            raise RobotsBlocked(
                source, url, "blocked by robots.txt (set respect_robots: false on the source to override)"
            )

    def _rules(
        self, url: str, source: str, session: requests.Session, limiter: Limiter | None
    ) -> RobotsRules:
        origin = origin_of(url)
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # sources of one site refreshing together ask for robots.txt once
            return self._rules_locked(origin, source, session, limiter)

    def _rules_locked(
        self, origin: str, source: str, session: requests.Session, limiter: Limiter | None
    ) -> RobotsRules:
        now = self.now()
        with self._lock:
            cached = self._memory.get(origin)
        if cached and cached[1] > now:
            return cached[0]
        if self.store is not None:
            fresh, body = self._stored(origin, now)
            if fresh:
                rules = RobotsRules(body)
                with self._lock:
                    self._memory[origin] = (rules, now + ROBOTS_TTL)
                return rules
        body, ttl = self._download(origin + "/robots.txt", source, session, limiter)
        rules = RobotsRules(body)
        with self._lock:
            self._memory[origin] = (rules, now + ttl)
        if self.store is not None:
            try:
                self.store.save_robots(origin, body, now + ttl)
            except (DatabaseError, StoreError) as exc:  # a cache: the copy in memory serves meanwhile
                log.warning("robots.txt of %s not cached in the store: %s", origin, exc)
        return rules

    def _stored(self, origin: str, now: datetime) -> tuple[bool, str | None]:
        assert self.store is not None
        try:
            return self.store.robots(origin, now)
        except DatabaseError as exc:  # a cache: asking the site again is always correct
            log.warning("robots.txt cache of %s unreadable: %s", origin, exc)
            return False, None

    def _download(
        self, url: str, source: str, session: requests.Session, limiter: Limiter | None
    ) -> tuple[str | None, timedelta]:
        """The body to obey (None: everything allowed) and how long to keep it."""
        try:
            if limiter is None:
                page = self._get(url, source, session)
            else:
                with limiter.slot(url, spaced=False):
                    page = self._get(url, source, session)
        except FetchError:
            return None, ROBOTS_RETRY  # unreachable robots.txt: allow, and ask again within the hour
        if 400 <= page.status < 500:
            return None, ROBOTS_TTL  # no robots.txt: everything is allowed
        if page.status >= 500:
            return "User-agent: *\nDisallow: /\n", ROBOTS_RETRY  # server trouble: wait, as crawlers do
        return page.body.decode("utf-8", errors="replace"), ROBOTS_TTL

    def _get(self, url: str, source: str, session: requests.Session) -> Page:
        return fetch(
            url,
            source=source,
            settings=self.settings,
            session=session,
            now=self.now,
            accept="text/plain",
            raise_for_status=False,
        )
