"""The daemon: one APScheduler job per source, a debounced publisher, clean shutdown on signals.

Each job calls pipeline.refresh_source, the same code `newsdesk run` uses; this module only decides
when, and keeps one instance per output folder. With `workers:` the job sends the refresh to the
Celery workers instead (`dispatch`), and only the daemon holding the scheduler lease (`election`)
has jobs: the others stand by, publish what the store gains, and take over when the lease is free.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsdesk.clock import utc_now
from newsdesk.config import Config, SourceConfig
from newsdesk.lock import InstanceLock, lock_path
from newsdesk.models import SourceState
from newsdesk.parsing import Parsers
from newsdesk.pipeline import (
    Politeness,
    Sessions,
    not_now_reason,
    publish_changes,
    refresh_source,
)
from newsdesk.schedule import next_due
from newsdesk.store.opening import open_store

log = logging.getLogger("newsdesk.daemon")
JITTER = 0.1  # of the interval: sources of one host do not fire together
PUBLISH_DEBOUNCE = 2.0  # seconds: refreshes finishing close together give one publish
WATCH_STORE = 5.0  # seconds between looks for changes other processes made to the shared store
# Seconds between the first runs of two sources when the daemon starts: its own threads fetch and parse,
# so they are spread; sent to workers, a source costs the daemon one message, and the workers' pool and
# the shared per-host limits pace the work.
STAGGER, STAGGER_SENT = 0.2, 0.05
SHUTDOWN_GRACE = 20.0  # seconds given to in-flight refreshes on SIGTERM (the whole stop stays < 30 s)


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        now: Callable[[], datetime] = utc_now,
        serve_at: tuple[str, int] | None = None,
    ) -> None:
        self.config = config
        self.serve_at = serve_at
        self.server: Any = None
        self.now = now
        self.lock = InstanceLock(lock_path(config), now=now)
        self.stopping = threading.Event()
        self._in_flight = 0
        self._in_flight_changed = threading.Condition()
        self._publish_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: set[str] = set()
        self._publish_scheduled = False
        self._published_change = 0  # the store's changes up to this id are in the output folder
        self.dispatcher: Any = None  # with workers: sends due sources as tasks
        self.lease: Any = None  # with workers: the scheduler lease this daemon holds or waits for
        self.leading = config.workers is None  # this daemon plans the sources' refreshes
        self._pruned: datetime | None = None  # when this daemon last pruned finished tasks

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.schedule()
        self.scheduler.start()
        if self.server is not None:
            self.server.start()
        if self.config.workers is None:
            log.info("daemon started (pid %d, %d sources)", os.getpid(), len(self.scheduler.get_jobs()))
        else:
            role = "scheduling" if self.leading else "standing by (another daemon schedules)"
            log.info("daemon started (pid %d, %d sources on workers): %s", os.getpid(), self._enabled(), role)

    def _listen(self, host: str, port: int) -> None:
        """Bind the server; when the address is refused, give back the lock and the store, then raise."""
        from newsdesk.errors import host_port
        from newsdesk.server import ServerThread

        try:
            self.server = ServerThread(self.config, host, port)
        except BaseException:
            self._release()
            raise
        log.info("serving %s on http://%s/", self.config.output_dir, host_port(host, self.server.port))

    def schedule(self) -> None:
        """Take the lock, open the store, bind the server, publish, and plan every enabled source
        (nothing runs or is served yet)."""
        self.lock.acquire()
        self.store = open_store(self.config, self.now())
        self.sessions = Sessions(self.config)
        # One pool of parsing processes for the daemon's life, when its sources have enough pages
        # (none when workers refresh: they parse).
        pages = sum(len(source.pages) for source in self.config.sources if source.enabled)
        self.parsers = (
            Parsers(self.config, 0) if self.config.workers else Parsers.for_refresh(self.config, pages)
        )
        if self.serve_at is not None:
            self._listen(*self.serve_at)  # before any work: a taken port stops the daemon at once
        self.politeness = Politeness.for_config(self.config, store=self.store, now=self.now)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.config.fetch.workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        # Heal a deleted or hand-edited output folder before anything else (writes only what differs).
        self._published_change = self.store.newest_change()
        publish_changes(self.config, self.store, now=self.now())
        if self.config.workers is None:
            self._plan_sources()
            return
        from newsdesk.dispatch import Dispatcher
        from newsdesk.election import SchedulerLease

        self.dispatcher = Dispatcher(self.config, self.store.db)
        self.lease = SchedulerLease(self.config.database_url)
        self._elect()

    def _note_scheduler(self) -> None:
        """Name this daemon as the scheduler in the store, for `status`."""
        from newsdesk.workers_status import SCHEDULER_META

        try:
            since = self.now().isoformat(timespec="seconds")
            self.store.set_meta(SCHEDULER_META, f"{self.lease.holder} since {since}")
        except Exception:
            log.exception("cannot note the scheduler in the store")

    def _enabled(self) -> int:
        return sum(1 for source in self.config.sources if source.enabled)

    def _plan_sources(self) -> None:
        """One job per enabled source, each first run after what the store says of its last one."""
        states = self.store.source_states()
        for index, source in enumerate(s for s in self.config.sources if s.enabled):
            first = self._first_run(source, states.get(source.name), index)
            self.scheduler.add_job(
                self._refresh_job,
                self._trigger(source),
                args=[source.name],
                id=f"source:{source.name}",
                name=source.name,
                next_run_time=first,
                # A run missed while the daemon was busy or paused still happens, once (coalesce).
                misfire_grace_time=max(60, int(source.interval.total_seconds() // 2)),
            )
            log.info("scheduled %s: %s, first run %s", source.name, _describe(source), first.isoformat())

    def _elect(self) -> None:
        """With workers: take the scheduler lease when it is free (and plan the sources), or notice
        that it was lost (and drop their jobs: the daemon that took it plans them now)."""
        if self.lease is None or self.stopping.is_set():
            return
        held = self.lease.take()
        if held and not self.leading:
            self.leading = True
            log.info("this daemon now schedules the %d sources (%s)", self._enabled(), self.lease)
            self._note_scheduler()
            self._plan_sources()
        elif not held and self.leading:
            self.leading = False
            log.warning("this daemon no longer schedules: %s is held elsewhere", self.lease)
            for job in self.scheduler.get_jobs():
                if job.id.startswith("source:"):
                    job.remove()

    def run_forever(self) -> int:
        """Start, then block until SIGTERM/SIGINT; return the exit code."""
        self.start()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        # Meanwhile, other daemons or runs may write the same store: publish what they change too.
        while not self.stopping.wait(WATCH_STORE):
            self._elect()
            self._watch_store()
        return self.shutdown()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping.set()

    def shutdown(self) -> int:
        """Stop scheduling, let in-flight refreshes finish (bounded), publish, close everything."""
        self.stopping.set()
        if self.server is not None:
            self.server.stop()
        if self.scheduler.running:
            self.scheduler.pause()
        deadline = time.monotonic() + SHUTDOWN_GRACE
        with self._in_flight_changed:
            while self._in_flight and time.monotonic() < deadline:
                self._in_flight_changed.wait(max(0.0, deadline - time.monotonic()))
            unfinished = self._in_flight
        if unfinished:
            log.warning("%d refresh(es) still running after %.0fs; leaving them", unfinished, SHUTDOWN_GRACE)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self._publish_pending()
        self._release()
        log.info("daemon stopped")
        if unfinished:
            logging.shutdown()
            os._exit(0)  # worker threads stuck in a request must not hold the exit past 30 s
        return 0

    def _release(self) -> None:
        """Give back what schedule() took; the lock last, so the next daemon finds the store closed."""
        self.sessions.close()
        self.parsers.close()
        if self.dispatcher is not None:
            self.dispatcher.close()
        if self.lease is not None:
            self.lease.release()
        self.store.close()
        self.lock.release()

    # --- jobs --------------------------------------------------------------------------------

    def _first_run(self, source: SourceConfig, state: SourceState | None, index: int) -> datetime:
        """A source refreshed recently waits for the rest of its interval: restarts don't hammer sites."""
        now = self.now()
        step = STAGGER_SENT if self.dispatcher is not None else STAGGER
        stagger = timedelta(seconds=min(index * step, 30))
        if state is None:
            return now + stagger
        due = next_due(source, state, now)
        if due is None:  # disabled by 410: the job still exists and keeps skipping
            return now + source.interval
        return max(due, now + stagger)

    def _trigger(self, source: SourceConfig) -> IntervalTrigger | CronTrigger:
        if source.cron:
            return CronTrigger.from_crontab(source.cron, timezone=self.config.site.timezone)
        seconds = source.interval.total_seconds()
        return IntervalTrigger(seconds=seconds, jitter=max(1, int(seconds * JITTER)), timezone=UTC)

    def _refresh_job(self, name: str) -> None:
        if self.stopping.is_set():
            return
        source = self.config.source(name)
        state = self.store.source_state(name)
        now = self.now()
        reason = not_now_reason(source, state, now)
        if reason:
            log.debug("skip %s: %s", name, reason)
            return
        if self.dispatcher is not None:  # a worker refreshes it; the store tells what changed
            self.dispatcher.send(name, now)
            return
        with self._in_flight_changed:
            self._in_flight += 1
        try:
            report = refresh_source(
                self.config,
                source,
                self.store,
                session=self.sessions.get(),
                now=self.now,
                politeness=self.politeness,
                parsers=self.parsers,
            )
        except Exception:
            log.exception("refresh %s crashed", name)  # a bug must not kill the scheduler thread
            return
        finally:
            with self._in_flight_changed:
                self._in_flight -= 1
                self._in_flight_changed.notify_all()
        if report.result.categories_touched:
            self.request_publish(report.result.categories_touched)

    def _watch_store(self) -> None:
        if self.stopping.is_set():
            return
        if self.dispatcher is not None and self.leading:
            self._prune_tasks()
        try:
            newest = self.store.newest_change()
        except Exception:
            log.exception("cannot read the store's changes")
            return
        if newest > self._published_change:
            self.request_publish(set())

    def _prune_tasks(self) -> None:
        """Hourly, the scheduler forgets tasks finished two days ago (status shows the last day)."""
        from newsdesk.store import tasks

        now = self.now()
        if self._pruned is not None and now - self._pruned < timedelta(hours=1):
            return
        self._pruned = now
        try:
            tasks.prune(self.store.db, now)
        except Exception:
            log.exception("cannot prune the finished tasks")

    def request_publish(self, categories: set[str] | frozenset[str]) -> None:
        """Publish the touched categories soon, once, however many refreshes ask meanwhile."""
        with self._pending_lock:
            self._pending |= set(categories)
            if self._publish_scheduled or self.stopping.is_set():
                return
            self._publish_scheduled = True
        self.scheduler.add_job(
            self._publish_pending,
            "date",
            run_date=self.now() + timedelta(seconds=PUBLISH_DEBOUNCE),
            id="publish",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _publish_pending(self) -> None:
        with self._publish_lock:  # never two publishes at once
            with self._pending_lock:
                categories, self._pending = self._pending, set()
                self._publish_scheduled = False
            try:
                # What this daemon's refreshes touched, and what any other writer of the store did.
                newest, changed = self.store.changes_since(self._published_change)
                wanted = None if changed is None else categories | changed
                if wanted is not None and not wanted:
                    return
                report = publish_changes(self.config, self.store, wanted, now=self.now(), through=newest)
                if not report.errors:  # else the same changes are published again at the next look
                    self._published_change = newest
            except Exception:
                log.exception("publish failed")


def _describe(source: SourceConfig) -> str:
    return f"cron {source.cron!r}" if source.cron else f"every {source.interval}"
