"""config.yaml -> Config: the validated configuration, as plain frozen dataclasses.

Reading is two steps. `config_validate` turns the file's text into a Config (YAML with its line
numbers, pydantic over these very dataclasses, every problem as `file:line key: message`), and
`config_cache` keeps what the last validation of the same bytes gave, so that a command starts without
importing YAML or pydantic (a third of its start-up). The constraints below are read by pydantic only
when a file is validated: `Bounds` and `Check` are inert until then.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from newsdesk.errors import ConfigError

CATEGORY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_INTERVAL = timedelta(hours=1)
ENRICHED_FIELDS = ("date", "image", "summary", "content")
RESERVED_CATEGORY_IDS = frozenset({"all", "embed", "feeds", "index"})
IMAGE_FILES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp"})
STRICT = {"extra": "forbid"}  # pydantic's config for every section: an unknown key is a problem


@dataclass(frozen=True)
class Bounds:
    """Limits of a number or the length of a text, as pydantic's own (same messages)."""

    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema.update({key: value for key, value in asdict(self).items() if value is not None})
        return schema


@dataclass(frozen=True)
class Check:
    """A check (or normalization) of a value once its type is right; its ValueError is reported at the
    value's own key and line."""

    function: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.function, handler(source))


# --- checks of single values (run while validating a file only) ------------------------------


def parse_duration(text: str) -> timedelta:
    """'30m' -> 30 minutes; units s, m, h, d."""
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid duration {text!r}: expected a number and a unit s, m, h or d, e.g. 30m")
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


def _enrich(value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    unknown = [
        name for name in ((value,) if isinstance(value, str) else value) if name not in ENRICHED_FIELDS
    ]
    if (isinstance(value, str) and value != "missing") or (not isinstance(value, str) and unknown):
        got = value if isinstance(value, str) else unknown[0]
        raise ValueError(f"use missing, or a list of {', '.join(ENRICHED_FIELDS)} (got {got!r})")
    import importlib.util

    if any(importlib.util.find_spec(name) is None for name in ("trafilatura", "htmldate")):
        raise ValueError(
            "enrichment needs trafilatura and htmldate, not installed (pip install 'newsdesk[enrich]')"
        )
    return value


def _render(value: str) -> str:
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        raise ValueError("render: browser needs Playwright, not installed (pip install 'newsdesk[browser]')")
    return value


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from exc
    return value


def _public_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) address, got {value!r}")
    return value if value.endswith("/") else value + "/"


def _image(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    if parts.scheme or PurePosixPath(parts.path).suffix.lower() not in IMAGE_FILES:
        raise ValueError(
            f"must be an http(s) address or an image file ({', '.join(sorted(IMAGE_FILES))}), got {value!r}"
        )
    return value


def _category_id(value: str) -> str:
    if not CATEGORY_ID.match(value):
        raise ValueError(
            f"invalid category id {value!r}: use lowercase words joined by '-', "
            "with '/' for sub-categories (e.g. company/innovation)"
        )
    return value


def _source_name(value: str) -> str:
    if not SOURCE_NAME.match(value):
        raise ValueError(f"invalid source name {value!r}: use letters, digits, '-', '_' or '.'")
    return value


def _field_selector(value: str) -> str:
    from newsdesk.errors import SelectorSyntaxError
    from newsdesk.selectors import parse_field_selector

    try:
        parse_field_selector(value)
    except SelectorSyntaxError as exc:
        raise ValueError(str(exc)) from exc
    return value


def _card_selector(value: str) -> str:
    from newsdesk.selectors import parse_field_selector

    selector = parse_field_selector(_field_selector(value))
    if selector.attribute is not None or selector.css is None:
        raise ValueError(f"the card selector {value!r} must be a plain CSS selector")
    return value


def _strptime_format(value: str) -> str:
    if "%" not in value:
        raise ValueError(f"invalid date_format {value!r}: use strptime codes such as %d/%m/%Y")
    try:
        sample = datetime(2024, 3, 4, 5, 6, 7).strftime(value)
        datetime.strptime(sample, value)
    except ValueError as exc:
        raise ValueError(f"invalid date_format {value!r}: {exc}") from exc
    return value


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from exc
    return value


def _database(value: str) -> str:
    if "://" not in value:
        return value
    from newsdesk.store.database import backend_of, missing_driver

    if backend_of(value)[0] not in ("sqlite", "postgresql"):
        raise ValueError(
            f"unusable database URL {value!r}: use a SQLite file (a path or sqlite:///...) or postgresql://"
        )
    problem = missing_driver(value)
    if problem:
        raise ValueError(problem)
    return value


BROKER_SCHEMES = frozenset({"redis", "rediss", "amqp", "amqps", "pyamqp"})


def _broker(value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme not in BROKER_SCHEMES or not urlsplit(value).netloc:
        raise ValueError(
            f"unusable broker URL {value!r}: use redis://host:6379/0 or amqp://user:password@host:5672//"
        )
    import importlib.util

    if importlib.util.find_spec("celery") is None:
        raise ValueError("workers need Celery, which is not installed (pip install 'newsdesk[workers]')")
    return value


def _redis(value: str) -> str:
    if urlsplit(value).scheme not in ("redis", "rediss") or not urlsplit(value).netloc:
        raise ValueError(f"unusable Redis URL {value!r}: use redis://host:6379/0")
    return value


# --- the sections ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteConfig:
    __pydantic_config__ = STRICT

    title: Annotated[str, Bounds(min_length=1)]
    url: Annotated[str, Check(_public_address)]
    author: Annotated[str, Bounds(min_length=1)]
    language: str = "en"
    timezone: Annotated[str, Check(_zone)] = "UTC"
    # The site's icon (square) and logo (wide): an http(s) address, or an image file beside config.yaml
    # that is published with the feeds. A default icon ships.
    icon: Annotated[str, Check(_image)] | None = None
    logo: Annotated[str, Check(_image)] | None = None


@dataclass(frozen=True)
class CategoryConfig:
    __pydantic_config__ = STRICT

    id: Annotated[str, Check(_category_id)]
    title: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or default_category_title(self.id)


@dataclass(frozen=True)
class SelectConfig:
    __pydantic_config__ = STRICT

    item: Annotated[str, Check(_card_selector)] | None = None
    title: Annotated[str, Check(_field_selector)] | None = None
    link: Annotated[str, Check(_field_selector)] | None = None
    summary: Annotated[str, Check(_field_selector)] | None = None
    category: Annotated[str, Check(_field_selector)] | None = None
    date: Annotated[str, Check(_field_selector)] | None = None
    image: Annotated[str, Check(_field_selector)] | None = None


@dataclass(frozen=True)
class FetchConfig:
    __pydantic_config__ = STRICT

    timeout: Annotated[float, Bounds(gt=0)] = 30.0
    connect_timeout: Annotated[float, Bounds(gt=0)] = 10.0
    max_bytes: Annotated[int, Bounds(gt=0)] = 10 * 1024 * 1024
    max_redirects: Annotated[int, Bounds(ge=0)] = 5
    user_agent: str | None = None
    workers: Annotated[int, Bounds(ge=1, le=256)] = 8
    # Worker processes that extract and normalize pages when a run reads many (None: one per core
    # beyond the first; 0: in the fetching threads).
    processes: Annotated[int, Bounds(ge=0, le=64)] | None = None
    per_host: Annotated[int, Bounds(ge=1, le=64)] = 2
    host_delay: Annotated[float, Bounds(ge=0)] = 1.0


@dataclass(frozen=True)
class DedupConfig:
    """Near-duplicate detection; exact repeats (same canonical URL, feed id) always merge."""

    __pydantic_config__ = STRICT

    near: bool = True
    threshold: Annotated[float, Bounds(gt=0, le=1)] = 0.62
    window_days: Annotated[int, Bounds(ge=0)] = 10
    never_merge: tuple[tuple[str, str], ...] = ()
    always_merge: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ServeConfig:
    __pydantic_config__ = STRICT

    host: str = "127.0.0.1"
    port: Annotated[int, Bounds(ge=1, le=65535)] = 8080
    cors_origins: tuple[str, ...] = ("*",)
    max_age: Annotated[int, Bounds(ge=0)] | None = None  # default: the shortest source interval


@dataclass(frozen=True)
class WorkersConfig:
    """Refreshes run on Celery workers (`newsdesk worker`); the daemon only schedules them."""

    __pydantic_config__ = STRICT

    broker: Annotated[str, Check(_broker)]
    queue: Annotated[str, Bounds(min_length=1)] = "newsdesk"
    # Where the per-host limits are shared by every worker: the broker when it is Redis, else the store.
    limits: Annotated[str, Check(_redis)] | None = None
    # A task whose worker died is delivered again after this (Redis; RabbitMQ redelivers at once).
    redeliver_after: Annotated[str, Check(_duration)] = "10m"

    @property
    def limits_url(self) -> str | None:
        """The Redis that holds the shared host limits; None: the store holds them."""
        if self.limits:
            return self.limits
        return self.broker if urlsplit(self.broker).scheme in ("redis", "rediss") else None

    @property
    def redelivery(self) -> timedelta:
        return parse_duration(self.redeliver_after)


@dataclass(frozen=True)
class SourceConfig:
    __pydantic_config__ = STRICT

    name: Annotated[str, Check(_source_name)]
    type: Literal["html", "feed", "items", "auto"]  # auto: `discover` at every refresh, no selectors
    url: str | None = None
    urls: tuple[str, ...] | None = None
    every: Annotated[str, Check(_duration)] | None = None
    cron: Annotated[str, Check(_cron)] | None = None
    language: str | None = None
    category: str | None = None
    select: SelectConfig | None = None
    enabled: bool = True
    respect_robots: bool = True
    allow_private: bool = False  # may redirects lead to loopback/LAN addresses?
    timezone: Annotated[str, Check(_zone)] | None = None  # for dates without an offset; default site's
    date_format: Annotated[str, Check(_strptime_format)] | None = None  # settles ambiguous dates: %d/%m/%Y
    # Fields a new story's article page fills when its card lacks them (`missing`: every one of them).
    enrich: Annotated[str | tuple[str, ...], Check(_enrich)] | None = None
    # browser: a page built by JavaScript is loaded in headless Chromium when its HTML gives nothing.
    render: Annotated[Literal["browser"], Check(_render)] | None = None

    @property
    def pages(self) -> tuple[str, ...]:
        """Every address this source reads, in config order."""
        return ((self.url,) if self.url else ()) + (self.urls or ())

    @property
    def enrich_fields(self) -> tuple[str, ...]:
        if self.enrich == "missing":
            return ENRICHED_FIELDS
        return tuple(dict.fromkeys(self.enrich or ()))

    @property
    def interval(self) -> timedelta:
        return parse_duration(self.every) if self.every else DEFAULT_INTERVAL

    @functools.cached_property
    def fingerprint(self) -> str:
        """Changes with the source's config: re-enables a 410'd source, drops stale ETags. The same
        compact JSON as releases that kept the config in pydantic models wrote, so stores stay valid."""
        text = json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Config:
    """The validated configuration; paths are absolute, addresses resolved."""

    __pydantic_config__ = STRICT

    site: SiteConfig
    output: Path = Path("feeds")
    database: Annotated[str, Check(_database)] = "state/newsdesk.db"
    max_entries: Annotated[int, Bounds(gt=0, le=10_000)] = 50
    categories: tuple[CategoryConfig, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    fetch: FetchConfig = field(default_factory=FetchConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    workers: WorkersConfig | None = None  # None: the daemon refreshes its sources itself
    path: Path = Path("config.yaml")

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        return (self.output if self.output.is_absolute() else self.base_dir / self.output).resolve()

    @property
    def database_url(self) -> str:
        if "://" in self.database:
            return self.database
        file = Path(self.database)
        file = file if file.is_absolute() else self.base_dir / file
        return f"sqlite:///{file.resolve()}"

    def site_image(self, key: Literal["icon", "logo"]) -> Path | None:
        """The local file given as site.icon or site.logo (None for an address or nothing)."""
        value = getattr(self.site, key)
        if value is None or urlsplit(value).scheme:
            return None
        file = Path(value)
        return file if file.is_absolute() else self.base_dir / file

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError([f"{self.path}: no source named {name!r} (known: {known})"])

    def source_language(self, source: SourceConfig) -> str:
        return source.language or self.site.language

    def source_zone(self, source: SourceConfig) -> str:
        """The zone a source's dates are read and shown in: its own, else the site's."""
        return source.timezone or self.site.timezone

    def resolve_address(self, address: str) -> str:
        """A page address as the fetcher takes it: http(s) URLs as they are, paths as file: URLs."""
        scheme = urlsplit(address).scheme
        if scheme in ("http", "https", "file"):
            return address
        file = Path(address)
        file = file if file.is_absolute() else self.base_dir / file
        return file.resolve().as_uri()


def default_config(path: Path) -> Config:
    """The settings a command uses where there is no config file yet (`discover` on a first day)."""
    site = SiteConfig(title="newsdesk", url="https://example.org/", author="newsdesk")
    return Config(site=site, path=path.resolve())


def default_category_title(category_id: str) -> str:
    """'company/innovation' -> 'Company - Innovation'."""
    return " - ".join(part.replace("-", " ").capitalize() for part in category_id.split("/"))


def environment_problem(config: Config) -> str | None:
    """What of the machine a valid config relies on is missing now: the output folder cannot be written,
    an image file is gone. (A config read from the cache is checked for these again.)"""
    problem = output_problem(config.output_dir)
    if problem:
        return problem
    for key in ("icon", "logo"):
        image = config.site_image(key)
        if image is not None and not image.is_file():
            return f"no such image file: {image}"
    return None


def output_problem(folder: Path) -> str | None:
    """The output folder must be a folder we can write in (or create): found now, not at publish."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"cannot write in {probe} (permission denied)"
    return None


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read and validate a config file (or take the last validation of the same bytes); raise
    ConfigError listing every problem."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read config: {exc.strerror or exc}"]) from exc
    from newsdesk import config_cache

    cached = config_cache.read(file, data)
    if cached is not None:
        return cached
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{file}: config is not UTF-8 text ({exc.reason})"]) from exc
    config = parse_config(text, file)
    config_cache.write(file, data, config)
    return config


def parse_config(text: str, file: Path) -> Config:
    """Validate a config's text (named `file` in messages, its folder the base of relative paths)."""
    from newsdesk.config_validate import validated

    return validated(text, file)
