"""The bundled example (config.yaml over examples/site/) as the concurrency tests run it: its config
rewritten for a test's store and output, and its pages served on 127.0.0.1 with chosen delays, so that
sources can be made to finish in any order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from helpers import EXAMPLES, ROOT

SITE = EXAMPLES / "site"


def example_config(
    folder: Path,
    database: str,
    *,
    base: str | None = None,
    workers: int = 8,
    every: str | None = None,
    output: str = "feeds",
    order: Callable[[list[dict]], list[dict]] | None = None,
) -> Path:
    """Write the shipped config.yaml with this store, output and worker count; pages from disk, or from
    `base` (an HTTP server of examples/site/). `order` may reorder the sources."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"] = database
    data["output"] = output
    data["fetch"] = {"workers": workers, "host_delay": 0, "per_host": 8}
    prefix = f"{base.rstrip('/')}/" if base else f"{SITE}/"
    for source in data["sources"]:
        pages = source.pop("urls", None) or [source.pop("url")]
        source["urls"] = [page.replace("examples/site/", prefix) for page in pages]
        if every:
            source["every"] = every
    if order:
        data["sources"] = order(data["sources"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def published_files(folder: Path) -> dict[str, bytes]:
    """Every file under an output folder, by its path there: what two runs are compared by."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


class _DelayedHandler(SimpleHTTPRequestHandler):
    delays: dict[str, float] = {}

    def do_GET(self) -> None:
        time.sleep(self.delays.get(self.path, 0.0))
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_example(delays: dict[str, float] | None = None) -> Iterator[tuple[str, dict[str, float]]]:
    """examples/site/ on 127.0.0.1; yields (base URL, delays by path) — change the delays between runs."""
    chosen: dict[str, float] = dict(delays or {})
    handler = type("Handler", (_DelayedHandler,), {"delays": chosen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", chosen
    finally:
        server.shutdown()
        server.server_close()
