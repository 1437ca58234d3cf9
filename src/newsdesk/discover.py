"""`newsdesk discover URL`: fetch one page (politely, as every fetch), find its stories, and print a
ready `sources:` entry for config.yaml, then what that entry yields. Stores nothing.

The entry is `type: feed` when the page advertises (or a common path serves, or WordPress's REST API
holds) a feed that carries the same stories; `type: html` with the selectors found when cards hold
them; `type: auto` when the stories are data in the page (JSON-LD, application state) or in cards no
one selector reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urljoin, urlsplit

import requests

from newsdesk.clock import utc_now
from newsdesk.config import Config, SelectConfig, SourceConfig
from newsdesk.errors import ExtractError, SourceError
from newsdesk.extract.discover import SELECT_FIELDS, Discovery, discover_page
from newsdesk.fetch.http import Validators, fetch, new_session
from newsdesk.models import Item, Page
from newsdesk.parsing import parse_page
from newsdesk.pipeline import ACCEPT, Politeness, rendered_page
from newsdesk.preview import item_data, item_lines
from newsdesk.table import cut

EXIT_OK, EXIT_FAILED = 0, 1
SAME_STORIES = 0.5  # share of the page's stories a feed must carry to stand for the page
COMMON_FEED_PATHS = ("feed/", "rss.xml", "atom.xml", "index.xml", "feed.xml")
NAME_PART = re.compile(r"[^a-z0-9]+")


@dataclass
class FeedCandidate:
    url: str
    how: str  # advertised, wordpress, common path
    items: list[Item] = field(default_factory=list)
    shared: int = 0  # stories of the page the feed carries
    error: str | None = None

    def data(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": "feed", "url": self.url, "how": self.how}
        if self.error:
            found.update(error=self.error, why=[f"{self.how}, not readable: {self.error}"])
        else:
            found.update(entries=len(self.items), same_stories=self.shared)
            found["why"] = [
                f"{self.how}; {self.shared} of its {len(self.items)} entries are stories of the page"
            ]
        return found


@dataclass
class Result:
    url: str
    discovery: Discovery
    entry: dict[str, Any]
    items: list[Item]
    feeds: list[FeedCandidate]
    problem: str | None = None
    address: str = ""  # as given on the command line


def discover(
    config: Config,
    address: str,
    *,
    language: str | None = None,
    name: str | None = None,
    now: Callable[[], datetime] = utc_now,
) -> Result:
    """Raise SourceError (one line naming the URL) when the page cannot be fetched or read."""
    url = _address(address)
    name = name or source_name(url)
    probe = SourceConfig(name=name, type="auto", url=url, language=language)
    politeness = Politeness.for_config(config, store=None, now=now)
    with new_session(config) as session:
        page = _get(config, probe, url, session, politeness, now, accept=ACCEPT["html"])
        given_feed = _as_feed(config, replace(probe, type="feed"), page)
        if given_feed is not None:  # the address is a feed itself: nothing to discover
            source = replace(probe, type="feed", url=address_for_config(config, url))
            entry = _entry(source, "feed", source.url or url, None)
            return Result(url, Discovery(url, "feed", []), entry, given_feed.items, [given_feed])
        discovery = discover_page(page, name)
        render: Literal["browser"] | None = None
        if not discovery.items and discovery.shell and browser_available():
            page = rendered_page(config, probe, page, politeness)  # what a reader's browser shows
            discovery, render = discover_page(page, name), "browser"
        language = language or discovery.language
        source = SourceConfig(
            name=name, type="auto", url=address_for_config(config, url), language=language, render=render
        )
        items = _items(config, source, page, discovery)
        feeds = _feeds(config, probe, page, session, politeness, now, items)
    best = max((feed for feed in feeds if feed.items), key=lambda feed: feed.shared, default=None)
    if best is not None and (
        (best.shared >= SAME_STORIES * len(items) and best.shared > 0) or (not items and best.items)
    ):
        entry = _entry(source, "feed", best.url, None)
        return Result(url, discovery, entry, best.items, feeds)
    if not discovery.items:
        return Result(url, discovery, {}, [], feeds, problem=discovery.problem)
    kind = "html" if discovery.select is not None else "auto"
    return Result(url, discovery, _entry(source, kind, source.url or url, discovery.select), items, feeds)


def _address(address: str) -> str:
    """An http(s) URL as given; a file path (the bundled example) as a file: URL."""
    if urlsplit(address).scheme in ("http", "https", "file"):
        return address
    return Path(address).resolve().as_uri()


def address_for_config(config: Config, url: str) -> str:
    """A file: URL as a path relative to the config's folder, as config.yaml writes them."""
    if not url.startswith("file:"):
        return url
    from urllib.request import url2pathname

    path = Path(url2pathname(urlsplit(url).path))
    try:
        return path.relative_to(config.base_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def source_name(url: str) -> str:
    """`https://www.city.example/en/news/` -> `city-example-en-news`; a file -> its folder and name."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(parts.path)
        words = [path.parent.name, path.stem]
    else:
        host = (parts.hostname or "site").removeprefix("www.")
        folders = [part for part in parts.path.split("/") if part][:2]
        words = [host, *folders[:-1], *[part.rsplit(".", 1)[0] for part in folders[-1:]]]
    name = NAME_PART.sub("-", "-".join(words).lower()).strip("-")
    return name[:60].strip("-") or "discovered"


def _get(
    config: Config,
    source: SourceConfig,
    url: str,
    session: requests.Session,
    politeness: Politeness,
    now: Callable[[], datetime],
    *,
    accept: str,
) -> Page:
    if politeness.robots and urlsplit(url).scheme in ("http", "https"):
        politeness.robots.check(url, source=source.name, session=session, limiter=politeness.limiter)
    with politeness.slot(url):
        return fetch(
            url,
            source=source.name,
            settings=config.fetch,
            session=session,
            now=now,
            accept=accept,
            validators=Validators(None, None),
            is_private=politeness.is_private,
        )


def browser_available() -> bool:
    """Chromium where newsdesk looks for it, and Playwright to drive it."""
    import importlib.util

    from newsdesk.fetch.browser import CHROMIUM

    return CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None


def _items(config: Config, source: SourceConfig, page: Page, discovery: Discovery) -> list[Item]:
    """What the entry yields: the pipeline's own normalizing of the stories found."""
    from newsdesk.dedup.identity import collapse
    from newsdesk.normalize.item import Normalizer

    normalizer = Normalizer.for_source(config, source)
    return collapse([item for raw in discovery.items if (item := normalizer.normalize(raw, page.fetched_at))])


def _feeds(
    config: Config,
    probe: SourceConfig,
    page: Page,
    session: requests.Session,
    politeness: Politeness,
    now: Callable[[], datetime],
    items: list[Item],
) -> list[FeedCandidate]:
    """The feeds the page names (or WordPress's REST posts, or a common feed path when it names none),
    each read and compared with the page's stories."""
    candidates = _feed_addresses(page, probe.name)
    feeds = []
    links = {item.url for item in items if item.url}
    for url, how in candidates:
        feed = FeedCandidate(url, how)
        feed_source = replace(probe, type="feed", url=url)
        try:
            got = _get(config, feed_source, url, session, politeness, now, accept=ACCEPT["feed"])
            from newsdesk.normalize.item import Normalizer

            parsed = parse_page(feed_source, got, Normalizer.for_source(config, feed_source))
            feed.items = parsed.items
            feed.shared = len(links & {item.url for item in parsed.items if item.url})
        except SourceError as exc:
            feed.error = exc.message
        feeds.append(feed)
        if feed.items and feed.shared >= SAME_STORIES * max(1, len(links)):
            break  # found: no more requests to the site
    return feeds


def _as_feed(config: Config, source: SourceConfig, page: Page) -> FeedCandidate | None:
    """The fetched page read as a feed, when it is one (RSS, Atom, JSON Feed, WordPress posts)."""
    from newsdesk.extract.feed import looks_like_feed
    from newsdesk.normalize.item import Normalizer

    if not looks_like_feed(page):
        return None
    try:
        parsed = parse_page(source, page, Normalizer.for_source(config, source))
    except SourceError:
        return None
    return FeedCandidate(page.url, "given", parsed.items, len(parsed.items))


def _feed_addresses(page: Page, name: str) -> list[tuple[str, str]]:
    from newsdesk.extract.feed import advertised_feeds
    from newsdesk.extract.html import base_url, parse_html

    found = [(url, "advertised") for url in advertised_feeds(page, name)]
    try:
        document = parse_html(page, name)
    except ExtractError:
        return found
    for link in document.iter("link"):
        if (link.get("rel") or "").strip() == "https://api.w.org/" and link.get("href"):
            api = urljoin(base_url(document, page.url), str(link.get("href")))
            found.append((urljoin(api if api.endswith("/") else api + "/", "wp/v2/posts"), "wordpress"))
    if not found and urlsplit(page.url).scheme in ("http", "https"):
        root = f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}/"
        found = [(urljoin(root, path), "common path") for path in COMMON_FEED_PATHS]
    return found


def _entry(source: SourceConfig, kind: str, url: str, select: SelectConfig | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": source.name, "type": kind, "url": url}
    if source.language:
        entry["language"] = source.language
    if source.render and kind != "feed":
        entry["render"] = source.render
    if kind == "html" and select is not None:
        entry["select"] = {name: getattr(select, name) for name in SELECT_FIELDS if getattr(select, name)}
    return entry


# --- output ----------------------------------------------------------------------------------


def result_data(config: Config, result: Result) -> dict[str, Any]:
    zone = config.site.timezone
    language = result.entry.get("language") or config.site.language
    return {
        "source": result.entry,
        "method": result.discovery.method if result.entry.get("type") != "feed" else "feed",
        "items": [item_data(item, zone, language) for item in result.items],
        "candidates": [*result.discovery.candidates, *(feed.data() for feed in result.feeds)],
        "problem": result.problem,
    }


def entry_yaml(entry: dict[str, Any]) -> str:
    """The entry as config.yaml writes it, ready to paste under `sources:`."""
    import yaml

    text: str = yaml.safe_dump(
        [entry], sort_keys=False, allow_unicode=True, default_flow_style=False, width=200
    )
    return text


def discover_command(
    config: Config,
    address: str,
    out: TextIO,
    err: TextIO,
    *,
    as_json: bool = False,
    language: str | None = None,
    name: str | None = None,
    now: Callable[[], datetime] = utc_now,
) -> int:
    try:
        result = replace(discover(config, address, language=language, name=name, now=now), address=address)
    except SourceError as exc:
        print(f"newsdesk discover: {exc.url or address}: {exc.message}", file=err)
        return EXIT_FAILED
    data = result_data(config, result)
    if as_json:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for line in _lines(result, data):
            print(line, file=out)
    if result.problem:
        print(f"newsdesk discover: {result.problem}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _lines(result: Result, data: dict[str, Any]) -> list[str]:
    if result.problem:
        return []
    kind = result.entry["type"]
    given = result.discovery.method == "feed"
    how = {
        "feed": f"the address is a feed ({len(result.items)} entries)"
        if given
        else f"a feed that carries the page's stories ({len(result.items)} entries)",
        "html": f"{len(result.items)} stories in cards the selectors below read",
        "auto": f"{len(result.items)} stories in the page's {result.discovery.method or 'cards'}"
        + (" data" if result.discovery.method not in ("html", "") else "")
        + "; type: auto finds them at every refresh",
    }[kind]
    shown = result.address or result.url  # as the person typed it: a path stays a path
    lines = [f"# newsdesk discover {shown}: {how}", "# add under sources: in config.yaml"]
    lines += entry_yaml(result.entry).rstrip("\n").splitlines()
    lines += ["", *item_lines(data["items"])]
    chosen = [c for c in result.discovery.candidates if c.get("chosen")]
    if kind != "feed" and len(chosen) > 1:
        lines += [
            "",
            f"found in {len(chosen)} blocks: " + ", ".join(f"{c['element']} ({c['cards']})" for c in chosen),
        ]
    tried = [feed for feed in result.feeds if feed.how == "common path" and feed.error]
    if tried:
        paths = ", ".join(urlsplit(feed.url).path for feed in tried)
        lines.append(f"no feed advertised, none at {paths}")
    for feed in result.feeds:
        if feed in tried:
            continue
        if feed.error:
            lines.append(f"feed {feed.url} ({feed.how}): {cut(feed.error, 120)}")
        elif kind != "feed":
            shared = f"{feed.shared} of its {len(feed.items)} entries are on the page"
            lines.append(f"feed {feed.url} ({feed.how}): {shared}, not enough to stand for it")
    return lines
