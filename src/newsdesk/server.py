"""Serving the output folder (Werkzeug app on the waitress WSGI server): feeds with the right types,
ETag/Last-Modified and 304s, gzip, CORS, plus /healthz and /metrics. A browser opening a feed gets
its HTML page (`<name>.html` beside it), since browsers are dropping XSLT; readers get the feed.

Big deployments put the folder behind nginx or a CDN instead (README has a snippet); this server is
for small ones and for development, and it never serves anything outside the output folder.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from waitress.task import ThreadedTaskDispatcher
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from newsdesk.clock import utc_now
from newsdesk.config import Config
from newsdesk.errors import ListenError, host_port
from newsdesk.status import source_rows
from newsdesk.store import Store, store_exists

CONTENT_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}
IMAGE_TYPES = {  # the site's icon and logo (already compressed: never gzipped)
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
FEED_SUFFIXES = frozenset({".atom", ".rss"})
PAGE_SUFFIXES = frozenset({".atom", ".rss", ".json"})  # feeds a browser is shown as <name>.html
NEGOTIATED_ON = ("Accept", "Sec-Fetch-Dest")
COMPRESS_MIN_BYTES = 512
DEFAULT_MAX_AGE = 300
STOP_GRACE = 5  # seconds in-flight requests get to finish when the server stops
log = logging.getLogger("newsdesk.server")


@dataclass(frozen=True)
class CachedFile:
    mtime_ns: int
    size: int
    body: bytes
    etag: str
    gzipped: bytes | None


class StaticFiles:
    """Files of one folder, read once per version (mtime, size), with their hash and gzip form."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, CachedFile] = {}
        self._lock = threading.Lock()

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names inside the root, or None: no '..', no dot-files, no symlink out."""
        relative = url_path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        if any(part.startswith(".") for part in relative.split("/")):
            return None
        joined = safe_join(str(self.root), relative)
        if joined is None:
            return None
        path = Path(joined)
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(self.root):
            return None
        if resolved.is_dir():
            resolved = resolved / "index.html"
        return resolved if resolved.is_file() else None

    def load(self, path: Path) -> CachedFile:
        stat = path.stat()
        with self._lock:
            cached = self._cache.get(path)
        if cached and cached.mtime_ns == stat.st_mtime_ns and cached.size == stat.st_size:
            return cached
        body = path.read_bytes()
        compressible = path.suffix in CONTENT_TYPES and len(body) >= COMPRESS_MIN_BYTES
        cached = CachedFile(
            mtime_ns=stat.st_mtime_ns,
            size=len(body),
            body=body,
            etag=hashlib.sha256(body).hexdigest()[:32],
            gzipped=gzip.compress(body, compresslevel=6, mtime=0) if compressible else None,
        )
        with self._lock:
            self._cache[path] = cached
        return cached


class FeedServer:
    """The WSGI application."""

    def __init__(self, config: Config, *, now: Callable[[], datetime] = utc_now) -> None:
        self.now = now
        self.config = config
        self.files = StaticFiles(config.output_dir)
        self.allowed_origins = config.serve.cors_origins
        self.max_age = (
            config.serve.max_age if config.serve.max_age is not None else _shortest_interval(config)
        )
        self._metrics: Callable[[], bytes] | None = None

    def _open_store(self) -> Store | None:
        url = self.config.database_url
        return Store(url, site_host="localhost") if store_exists(url) else None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self._cors(request, Response(status=204, headers={"Allow": "GET, HEAD, OPTIONS"}))
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"])
        if request.path == "/healthz":
            return self.health()
        if request.path == "/metrics":
            return self.metrics()
        path = self.files.resolve(request.path)
        if path is None:
            raise NotFound()
        return self._cors(request, self.file_response(request, path))

    def file_response(self, request: Request, path: Path) -> Response:
        if path.suffix not in PAGE_SUFFIXES:
            return self._file(
                request,
                path,
                CONTENT_TYPES.get(path.suffix) or IMAGE_TYPES.get(path.suffix, "application/octet-stream"),
            )
        # Browsers are dropping XSLT: one navigating to a feed gets its HTML page; readers, fetch()
        # and XHR get the feed. Both answers vary on the headers that decide between them.
        navigation = _browser_navigation(request.headers)
        page = self._page_for(request.path) if navigation else None
        if page is not None:
            return self._file(request, page, CONTENT_TYPES[".html"], vary=NEGOTIATED_ON)
        content_type = CONTENT_TYPES[path.suffix]
        if navigation and path.suffix in FEED_SUFFIXES:  # no page: XML, so a browser's XSLT view applies
            content_type = "application/xml; charset=utf-8"
        return self._file(request, path, content_type, vary=NEGOTIATED_ON)

    def _page_for(self, url_path: str) -> Path | None:
        """The HTML page beside the feed a URL names (feeds/all.atom -> feeds/all.html), if published."""
        url = PurePosixPath(url_path)
        return self.files.resolve(str(url.with_suffix(".html"))) if url.suffix in PAGE_SUFFIXES else None

    def _file(self, request: Request, path: Path, content_type: str, vary: Iterable[str] = ()) -> Response:
        """One file with its validators, gzip form and caching headers; 304 when the client has it."""
        cached = self.files.load(path)
        use_gzip = cached.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(cached.gzipped if use_gzip else cached.body, content_type=content_type)
        if cached.gzipped is not None:
            response.vary.add("Accept-Encoding")
        for header in vary:
            response.vary.add(header)
        if use_gzip:
            response.content_encoding = "gzip"
        response.set_etag(cached.etag + ("-gz" if use_gzip else ""))
        response.last_modified = datetime.fromtimestamp(cached.mtime_ns / 1e9, UTC).replace(microsecond=0)
        response.cache_control.public = True
        response.cache_control.max_age = self.max_age
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response.make_conditional(request)

    def _cors(self, request: Request, response: Response) -> Response:
        origin = request.headers.get("Origin")
        if "*" in self.allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in self.allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
            response.headers["Access-Control-Max-Age"] = "86400"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        return response

    def metrics(self) -> Response:
        """Prometheus text, when prometheus-client is installed (the `metrics` extra)."""
        if self._metrics is None:
            try:
                from newsdesk.metrics import exposition
            except ImportError:
                text = "metrics need prometheus-client: pip install 'newsdesk[metrics]'\n"
                return Response(text, status=501, content_type="text/plain; charset=utf-8")
            self._metrics = exposition(self.config, self._open_store)
        return Response(self._metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")

    def health(self) -> Response:
        rows = [row for row in source_rows(self.config, self.now()) if row["state"] != "disabled"]
        failing = [row for row in rows if row["failures"]]
        healthy = not rows or len(failing) < len(rows)
        body = {"status": "ok" if healthy else "failing", "sources": rows}
        response = Response(json.dumps(body, indent=2) + "\n", status=200 if healthy else 503)
        response.content_type = "application/json"
        response.cache_control.no_store = True
        return response


def _browser_navigation(headers: Headers) -> bool:
    """A person's browser opening the address (show the page), not a reader, fetch() or XHR (feed)."""
    destination = headers.get("Sec-Fetch-Dest", "").strip().lower()
    if destination:  # Fetch Metadata: only a top-level navigation is a person looking
        return destination == "document"
    return _prefers_html(headers.get("Accept", ""))


def _prefers_html(accept: str) -> bool:
    """text/html is wanted more than any XML or JSON type: higher q, or the same q and listed first."""
    ranked = [(quality, -index, media) for index, (media, quality) in enumerate(_media_ranges(accept))]
    html = [(q, order) for q, order, media in ranked if media == "text/html" and q > 0]
    data = [(q, order) for q, order, media in ranked if "xml" in media or "json" in media]
    return bool(html) and all(max(html) > other for other in data)


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """An Accept header's media ranges in the order listed, with their q (unreadable q counts as 0)."""
    ranges = []
    for part in accept.lower().split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for name, _, value in (param.partition("=") for param in params):
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _shortest_interval(config: Config) -> int:
    intervals = [int(source.interval.total_seconds()) for source in config.sources if source.enabled]
    return min(intervals) if intervals else DEFAULT_MAX_AGE


def make_server(config: Config, host: str, port: int) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); ListenError when it cannot."""
    from waitress.server import create_server

    from newsdesk.store.opening import open_store

    open_store(config, utc_now()).close()  # schema present and current before the first request
    threads = RequestThreads()
    threads.set_thread_count(8)
    try:
        return create_server(FeedServer(config), host=host, port=port, ident="newsdesk", _dispatcher=threads)
    except OSError as exc:
        raise ListenError(host, port, _reason(exc)) from exc
    except (ValueError, OverflowError) as exc:  # waitress: the name does not resolve, or no such port
        raise ListenError(host, port, "unknown host or invalid port") from exc


def _reason(exc: OSError) -> str:
    """'address already in use', as the error's own words, lower-cased for the middle of a line."""
    if exc.errno == errno.EADDRINUSE:
        return "address already in use"
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


class RequestThreads(ThreadedTaskDispatcher):
    """Waitress's request threads; once stopping, a request that arrives is refused (its connection
    closed) instead of queued for threads that are going away."""

    stopping = False

    def add_task(self, task: Any) -> None:
        if self.stopping:
            task.cancel()
        else:
            super().add_task(task)

    def stop(self, grace: int) -> None:
        """Let the requests being served finish (up to `grace` seconds); refuse the queued ones."""
        with self.lock:
            self.stopping = True
            queued: list[Any] = list(self.queue)  # channels, whatever the stubs say
            self.queue.clear()
        for task in queued:
            task.cancel()
        self.shutdown(cancel_pending=False, timeout=grace)


class ServerThread:
    """The server on a background thread (daemon --serve, serve, tests); stop() ends it quietly.

    The asyncore loop owns the sockets and the trigger pipe that request threads pull when they
    finish; closing them from another thread while a request thread still writes to the pipe gave
    EBADF tracebacks (or a write into whatever file reused the descriptor). So stop() asks the loop
    to stop accepting, waits for the request threads, and only then lets the loop close everything.
    """

    def __init__(self, config: Config, host: str, port: int) -> None:
        self.server = make_server(config, host, port)
        self.port: int = self.server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serve", daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._stopping.is_set():  # a socket closed under select() while stopping is no error
                raise

    def stop(self, grace: int = STOP_GRACE) -> None:
        """Stop accepting, let in-flight requests finish (up to `grace` seconds), then close."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._in_loop(self._stop_accepting)
        self.server.task_dispatcher.stop(grace)
        self._in_loop(self._close_all)
        self._thread.join(grace)
        if not self._thread.is_alive():
            self._close_all()  # the loop had already ended (or never ran): nothing else uses the map

    def _in_loop(self, action: Callable[[], None]) -> None:
        """Run the action on the loop's thread, the one that owns the sockets, or here if none runs."""
        if self._thread.is_alive():
            try:
                self.server.trigger.pull_trigger(action)
                return
            except OSError:
                # The trigger is already closed: waitress closes it with the server's own close(),
                # which an error on the listening socket can call while it stops (seen under load).
                # Nothing can wake the loop any more; no request thread writes to it either.
                with self.server.trigger.lock:
                    self.server.trigger.thunks.clear()
        action()

    def _stop_accepting(self) -> None:
        """Close the listening socket and idle keep-alive connections: no new requests come in."""
        from waitress import wasyncore

        if self.server.socket is not None:
            wasyncore.dispatcher.close(self.server)
        for channel in list(self.server.active_channels.values()):
            if not channel.requests and not channel.total_outbufs_len:
                channel.handle_close()

    def _close_all(self) -> None:
        """Close every connection, then the trigger; its pipe stays open while a stuck request thread
        might still pull it (the map is emptied either way, so the loop ends)."""
        from waitress import wasyncore

        socket_map = self.server._map
        trigger = self.server.trigger
        for dispatcher in list(socket_map.values()):
            if dispatcher is trigger:
                continue
            if dispatcher is self.server:
                wasyncore.dispatcher.close(dispatcher)
            else:
                dispatcher.handle_close()
        if self.server.task_dispatcher.threads:
            trigger.del_channel()
        else:
            trigger.close()
        socket_map.clear()


def serve(config: Config, host: str, port: int) -> int:
    """Serve until SIGINT or SIGTERM, then stop as daemon --serve does: in-flight requests finish."""
    server = ServerThread(config, host, port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    server.start()
    log.info("serving %s on http://%s/", config.output_dir, host_port(host, server.port))
    while server.running and not stop.wait(0.5):
        pass
    server.stop()
    return 0 if stop.is_set() else 1  # 1: the loop died on its own (its traceback is on stderr)
