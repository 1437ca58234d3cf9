"""Serving the output folder (Werkzeug app on the waitress WSGI server): feeds with the right types,
ETag/Last-Modified and 304s, gzip, CORS, plus /healthz and /metrics.

Big deployments put the folder behind nginx or a CDN instead (README has a snippet); this server is
for small ones and for development, and it never serves anything outside the output folder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from newsdesk.clock import utc_now
from newsdesk.config import Config
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
FEED_SUFFIXES = frozenset({".atom", ".rss"})
FEED_TYPES = ("application/atom+xml", "application/rss+xml")
COMPRESS_MIN_BYTES = 512
DEFAULT_MAX_AGE = 300


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
        cached = self.files.load(path)
        content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
        if path.suffix in FEED_SUFFIXES:
            # Browsers show application/atom+xml and rss+xml as plain text and never run the feed's
            # XSLT; a browser navigating here (Accept: text/html, no feed type) gets generic XML.
            response_vary_accept = True
            if _browser_navigation(request.headers.get("Accept", "")):
                content_type = "application/xml; charset=utf-8"
        else:
            response_vary_accept = False
        use_gzip = cached.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(cached.gzipped if use_gzip else cached.body, content_type=content_type)
        if cached.gzipped is not None:
            response.vary.add("Accept-Encoding")
        if response_vary_accept:
            response.vary.add("Accept")
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


def _browser_navigation(accept: str) -> bool:
    accept = accept.lower()
    return "text/html" in accept and not any(feed_type in accept for feed_type in FEED_TYPES)


def _shortest_interval(config: Config) -> int:
    intervals = [int(source.interval.total_seconds()) for source in config.sources if source.enabled]
    return min(intervals) if intervals else DEFAULT_MAX_AGE


def make_server(config: Config, host: str, port: int) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); call .run() or .close()."""
    from waitress.server import create_server

    from newsdesk.store.opening import open_store

    open_store(config, utc_now()).close()  # schema present and current before the first request

    return create_server(FeedServer(config), host=host, port=port, threads=8, ident="newsdesk")


class ServerThread:
    """The server on a background thread (daemon --serve, tests); stop() ends it quietly."""

    def __init__(self, config: Config, host: str, port: int) -> None:
        self.server = make_server(config, host, port)
        self.port: int = self.server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="serve", daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._stopping.is_set():  # closing the sockets under select() is how it stops
                raise

    def stop(self) -> None:
        self._stopping.set()
        self.server.close()


def serve(config: Config, host: str, port: int) -> int:
    import logging

    server = make_server(config, host, port)
    logging.getLogger("newsdesk").info(
        "serving %s on http://%s:%s/", config.output_dir, host, server.effective_port
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0
