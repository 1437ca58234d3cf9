"""Pages built by JavaScript (`render: browser`): loaded in headless Chromium, their DOM read as any page.

One browser per process, started at the first page that needs it, driven by Playwright from a thread
of its own (Playwright's sync API belongs to the thread that started it); a fresh context per page;
images, fonts and media never requested; requests to private addresses refused as every fetch does;
a time cap per page and a memory cap on each renderer. Debian's `chromium` is the browser.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.errors import FetchError

CHROMIUM = Path("/usr/bin/chromium")
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--renderer-process-limit=2",
    "--js-flags=--max-old-space-size=256",  # MB of JavaScript heap per renderer
)
BLOCKED = frozenset({"image", "font", "media"})
INSTALL = "apt-get install chromium (Debian's package; newsdesk drives it with Playwright)"


@dataclass(frozen=True)
class RenderJob:
    url: str
    user_agent: str
    timeout: float
    max_bytes: int
    allowed: Callable[[str], bool]  # may the page request this address?


class Browser:
    """Renders pages one at a time in a thread that owns the Playwright session."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[RenderJob, Future[str]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.rendered = 0  # pages rendered by this process (benchmarks, tests)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def render(self, job: RenderJob, *, source: str) -> str:
        """The page's DOM once the browser has run its scripts; FetchError naming source and URL."""
        if not CHROMIUM.exists():
            raise FetchError(source, job.url, f"render: browser needs Chromium at {CHROMIUM}: {INSTALL}")
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="browser", daemon=True)
                self._thread.start()
                atexit.register(self.close)
        done: Future[str] = Future()
        self._jobs.put((job, done))
        try:
            return done.result(timeout=job.timeout + 30)
        except FetchError:
            raise
        except Exception as exc:
            reason = next(
                (line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__
            )
            raise FetchError(source, job.url, f"render failed: {reason}") from exc

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout=10)

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=list(ARGS), headless=True
                )
            except Exception as exc:  # noqa: BLE001 - every waiting page learns why
                self._fail_all(exc)
                return
            while True:
                item = self._jobs.get()
                if item is None:
                    break
                job, done = item
                try:
                    done.set_result(self._page(browser, job))
                except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
                    done.set_exception(exc)
            browser.close()

    def _fail_all(self, exc: Exception) -> None:
        while True:
            try:
                item = self._jobs.get(timeout=1)
            except queue.Empty:
                return
            if item is None:
                return
            item[1].set_exception(exc)

    def _page(self, browser: Any, job: RenderJob) -> str:
        context = browser.new_context(user_agent=job.user_agent, service_workers="block")
        try:
            page = context.new_page()

            def route(request_route: Any) -> None:
                request = request_route.request
                if request.resource_type in BLOCKED or not job.allowed(request.url):
                    request_route.abort()
                else:
                    request_route.continue_()

            page.route("**/*", route)
            page.goto(job.url, wait_until="networkidle", timeout=job.timeout * 1000)
            html: str = page.content()
        finally:
            context.close()
        self.rendered += 1
        if len(html.encode()) > job.max_bytes:
            raise FetchError("", job.url, f"rendered page larger than {job.max_bytes} bytes")
        return html


_shared: Browser | None = None
_shared_lock = threading.Lock()


def shared_browser() -> Browser:
    """This process's browser (made at the first `render: browser` page, never before)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Browser()
        return _shared
