"""A browser opening a feed gets its HTML page, feed readers get the feed: `newsdesk serve` and README's
nginx snippet (run for real when nginx is installed) answer the same table the same way."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from newsdesk.config import Config, load_config

from helpers import ROOT, serving, write_config

CHROME = {
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Mode": "navigate",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
}
OLD_BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
READER = {"Accept": "application/atom+xml,application/rss+xml;q=0.9,application/xml;q=0.8,*/*;q=0.1"}
EMBED_FETCH = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Accept": "*/*"}

PAGE, FEED = "page", "feed"
CASES = [
    ("chrome navigation", CHROME, PAGE),
    ("navigation, whatever the Accept", {"Sec-Fetch-Dest": "document", "Accept": "*/*"}, PAGE),
    ("browser without Fetch Metadata", OLD_BROWSER, PAGE),
    ("text/html first, same q as a feed type", {"Accept": "text/html, application/atom+xml"}, PAGE),
    ("feed reader", READER, FEED),
    ("feed reader, one type", {"Accept": "application/atom+xml"}, FEED),
    ("feed type first, then text/html", {"Accept": "application/atom+xml, text/html"}, FEED),
    ("feed reader that also takes html", {"Accept": "application/rss+xml, text/html;q=0.5"}, FEED),
    ("text/html refused", {"Accept": "text/html;q=0, */*"}, FEED),
    ("any type", {"Accept": "*/*"}, FEED),
    ("no Accept at all", {"Accept": None}, FEED),  # requests drops a header set to None
    ("fetch() from embed.js", EMBED_FETCH, FEED),
    ("fetch() asking for html", {"Sec-Fetch-Dest": "empty", "Accept": "text/html"}, FEED),
    ("feed loaded by a script tag", {"Sec-Fetch-Dest": "script", "Accept": "*/*"}, FEED),
]
FEED_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".json": "application/feed+json",
}


def _feed(kind: str, title: str) -> bytes:
    """A feed file big enough to be gzipped; the servers only pass its bytes on."""
    entries = "".join(f"<entry><title>{title} story {n}</title></entry>\n" for n in range(30))
    if kind == ".json":
        items = [{"id": str(n), "title": f"{title} story {n}"} for n in range(30)]
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
        return (json.dumps(feed) + "\n").encode()
    root = "feed" if kind == ".atom" else "rss"
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>{entries}</{root}>\n'.encode()


@pytest.fixture
def site(tmp_path: Path) -> Config:
    """An output folder as the publisher leaves it: feeds with their pages; press.rss has none."""
    config = load_config(write_config(tmp_path, "- name: f\n  type: items\n  url: items.yaml\n"))
    folder = config.output_dir
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("research", "all"):
        for suffix in FEED_TYPES:
            (folder / f"{name}{suffix}").write_bytes(_feed(suffix, name))
        page = f"<!doctype html><html lang=en><meta charset=utf-8><title>{name} news</title>"
        (folder / f"{name}.html").write_text(page + "<h1>Latest</h1>" + "<p>A story.</p>" * 60 + "\n")
    (folder / "press.rss").write_bytes(_feed(".rss", "press"))
    return config


# --- nginx with the README's snippet ------------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
LISTEN, ROOT_DIRECTIVE = "listen 443 ssl;", "root /srv/newsdesk/feeds;"


def readme_nginx_snippet() -> str:
    """The nginx block under README's "Serving the feeds", exactly as a reader copies it."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Serving the feeds\n", 1)[1]
    return section.split("```nginx\n", 1)[1].split("\n```", 1)[0]


def nginx_config(snippet: str, root: Path, port: int, prefix: Path) -> str:
    """A whole nginx.conf around the snippet: only its listen and root lines are changed."""
    assert LISTEN in snippet and ROOT_DIRECTIVE in snippet, "README's nginx snippet changed its shape"
    server = snippet.replace(LISTEN, f"listen 127.0.0.1:{port};").replace(ROOT_DIRECTIVE, f"root {root};")
    temp = "".join(
        f"    {kind}_temp_path {prefix}/{kind};\n" for kind in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would drop to nobody
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp}{server}\n}}\n"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nginx_serving(root: Path, prefix: Path) -> Iterator[str]:
    """nginx on a free port of 127.0.0.1 with README's snippet; yields its base URL."""
    if NGINX is None:
        if os.environ.get("NEWSDESK_REQUIRE_NGINX"):
            raise RuntimeError("NEWSDESK_REQUIRE_NGINX is set but nginx is missing")
        pytest.skip("nginx is not installed (apt-get install nginx-light): README's snippet is untested")
    prefix.mkdir()
    port = _free_port()
    (prefix / "nginx.conf").write_text(nginx_config(readme_nginx_snippet(), root, port, prefix))
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                errors = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"nginx refused README's snippet: {errors}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["newsdesk serve", "nginx"])
def base(request: pytest.FixtureRequest, site: Config, tmp_path: Path) -> Iterator[str]:
    if request.param == "nginx":
        yield from nginx_serving(site.output_dir, tmp_path / "nginx")
    else:
        yield from serving(site)


# --- the behaviour --------------------------------------------------------------------------------


def _vary(response: requests.Response) -> set[str]:
    return {token.strip().lower() for token in response.headers.get("Vary", "").split(",")}


@pytest.mark.parametrize(("who", "headers", "expected"), CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("suffix", list(FEED_TYPES))
def test_browsers_get_the_page_and_readers_the_feed(
    base: str, site: Config, suffix: str, who: str, headers: dict[str, str | None], expected: str
) -> None:
    response = requests.get(f"{base}/research{suffix}", headers=headers, timeout=5)
    assert response.status_code == 200
    if expected == PAGE:
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.content == (site.output_dir / "research.html").read_bytes()
    else:
        assert response.headers["Content-Type"].startswith(FEED_TYPES[suffix])
        assert response.content == (site.output_dir / f"research{suffix}").read_bytes()
    assert {"accept", "sec-fetch-dest"} <= _vary(response)  # caches keep the two answers apart


def test_a_feed_without_a_page_is_served_to_browsers_too(base: str, site: Config) -> None:
    for headers in (CHROME, OLD_BROWSER, READER):
        response = requests.get(f"{base}/press.rss", headers=headers, timeout=5)
        assert response.status_code == 200
        assert response.content == (site.output_dir / "press.rss").read_bytes()
        assert not response.headers["Content-Type"].startswith("text/html")
    assert requests.get(f"{base}/nope.atom", headers=CHROME, timeout=5).status_code == 404


@pytest.mark.parametrize("headers", [CHROME, READER], ids=["page", "feed"])
def test_each_answer_keeps_its_etag_304_gzip_cors_and_head(base: str, headers: dict[str, str]) -> None:
    url = f"{base}/all.atom"
    sent = {**headers, "Accept-Encoding": "gzip", "Origin": "https://partner.example"}
    first = requests.get(url, headers=sent, timeout=5)
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    etag = first.headers["ETag"]
    again = requests.get(url, headers={**sent, "If-None-Match": etag}, timeout=5)
    assert again.status_code == 304 and again.content == b""
    head = requests.head(url, headers=sent, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["ETag"] == etag and head.headers["Content-Type"] == first.headers["Content-Type"]
    swapped = READER if headers is CHROME else CHROME
    other = requests.get(url, headers={**swapped, "Accept-Encoding": "gzip"}, timeout=5)
    assert other.headers["ETag"] != etag  # the page and the feed never share a validator
    stale = requests.get(url, headers={**sent, "If-None-Match": other.headers["ETag"]}, timeout=5)
    assert stale.status_code == 200 and stale.content == first.content
