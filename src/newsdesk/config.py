"""config.yaml -> validated Config. The only module that reads YAML config; errors name file, line and key."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsdesk.errors import ConfigError, SelectorSyntaxError
from newsdesk.selectors import parse_field_selector
from newsdesk.text import normalize_label

CATEGORY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_INTERVAL = timedelta(hours=1)
RESERVED_CATEGORY_IDS = frozenset({"all", "embed", "feeds", "index"})
IMAGE_FILES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp"})
Location = tuple[str | int, ...]  # a key path in the YAML document: ("sources", 2, "select")


def parse_duration(text: str) -> timedelta:
    """'30m' -> 30 minutes; units s, m, h, d."""
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid duration {text!r}: expected a number and a unit s, m, h or d, e.g. 30m")
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(_Strict):
    title: str = Field(min_length=1)
    url: str
    author: str = Field(min_length=1)
    language: str = "en"
    timezone: str = "UTC"
    # The site's icon (square) and logo (wide): an http(s) address, or an image file beside config.yaml
    # that is published with the feeds. A default icon ships.
    icon: str | None = None
    logo: str | None = None

    @field_validator("icon", "logo")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            return value
        if parts.scheme or PurePosixPath(parts.path).suffix.lower() not in IMAGE_FILES:
            raise ValueError(
                f"must be an http(s) address or an image file ({', '.join(sorted(IMAGE_FILES))}), "
                f"got {value!r}"
            )
        return value

    @field_validator("url")
    @classmethod
    def _public_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) address, got {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)


class CategoryConfig(_Strict):
    id: str
    title: str | None = None
    aliases: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not CATEGORY_ID.match(value):
            raise ValueError(
                f"invalid category id {value!r}: use lowercase words joined by '-', "
                "with '/' for sub-categories (e.g. company/innovation)"
            )
        return value

    @property
    def display_title(self) -> str:
        return self.title or default_category_title(self.id)


class SelectConfig(_Strict):
    item: str | None = None
    title: str | None = None
    link: str | None = None
    summary: str | None = None
    category: str | None = None
    date: str | None = None
    image: str | None = None

    @field_validator("title", "link", "summary", "category", "date", "image")
    @classmethod
    def _field_selector(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_field_selector(value)
            except SelectorSyntaxError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("item")
    @classmethod
    def _item_selector(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                selector = parse_field_selector(value)
            except SelectorSyntaxError as exc:
                raise ValueError(str(exc)) from exc
            if selector.attribute is not None or selector.css is None:
                raise ValueError(f"the card selector {value!r} must be a plain CSS selector")
        return value


class FetchConfig(_Strict):
    timeout: float = Field(default=30.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    user_agent: str | None = None
    workers: int = Field(default=8, ge=1, le=256)
    per_host: int = Field(default=2, ge=1, le=64)
    host_delay: float = Field(default=1.0, ge=0)


class DedupConfig(_Strict):
    """Near-duplicate detection; exact repeats (same canonical URL, feed id) always merge."""

    near: bool = True
    threshold: float = Field(default=0.62, gt=0, le=1)
    window_days: int = Field(default=10, ge=0)
    never_merge: tuple[tuple[str, str], ...] = ()
    always_merge: tuple[tuple[str, str], ...] = ()


class ServeConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    cors_origins: tuple[str, ...] = ("*",)
    max_age: int | None = Field(default=None, ge=0)  # default: the shortest source interval


class SourceConfig(_Strict):
    name: str
    type: Literal["html", "feed", "items"]
    url: str | None = None
    urls: tuple[str, ...] | None = None
    every: str | None = None
    cron: str | None = None
    language: str | None = None
    category: str | None = None
    select: SelectConfig | None = None
    enabled: bool = True
    respect_robots: bool = True
    allow_private: bool = False  # may redirects lead to loopback/LAN addresses?
    timezone: str | None = None  # for dates written without an offset; default site.timezone
    date_format: str | None = None  # strptime format settling ambiguous dates, e.g. "%d/%m/%Y"

    @field_validator("timezone")
    @classmethod
    def _source_zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)

    @field_validator("date_format")
    @classmethod
    def _strptime_format(cls, value: str | None) -> str | None:
        if value is not None:
            if "%" not in value:
                raise ValueError(f"invalid date_format {value!r}: use strptime codes such as %d/%m/%Y")
            try:
                sample = datetime(2024, 3, 4, 5, 6, 7).strftime(value)
                datetime.strptime(sample, value)
            except ValueError as exc:
                raise ValueError(f"invalid date_format {value!r}: {exc}") from exc
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SOURCE_NAME.match(value):
            raise ValueError(f"invalid source name {value!r}: use letters, digits, '-', '_' or '.'")
        return value

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"invalid cron expression {value!r}: {exc}") from exc
        return value

    @property
    def pages(self) -> tuple[str, ...]:
        """Every address this source reads, in config order."""
        return ((self.url,) if self.url else ()) + (self.urls or ())

    @property
    def interval(self) -> timedelta:
        return parse_duration(self.every) if self.every else DEFAULT_INTERVAL

    @property
    def fingerprint(self) -> str:
        """Changes with the source's config: re-enables a 410'd source, drops stale ETags."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:32]


class Config(_Strict):
    """The validated configuration; paths are absolute, addresses resolved."""

    site: SiteConfig
    output: Path = Path("feeds")
    database: str = "state/newsdesk.db"
    max_entries: int = Field(default=50, gt=0, le=10_000)
    categories: tuple[CategoryConfig, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    fetch: FetchConfig = FetchConfig()
    serve: ServeConfig = ServeConfig()
    dedup: DedupConfig = DedupConfig()
    path: Path = Path("config.yaml")

    @field_validator("database")
    @classmethod
    def _database(cls, value: str) -> str:
        if "://" not in value:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            make_url(value).get_dialect()
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
            raise ValueError(f"unusable database URL {value!r}: {exc}") from exc
        from newsdesk.store.engine import missing_driver

        problem = missing_driver(value)
        if problem:
            raise ValueError(problem)
        return value

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


def default_category_title(category_id: str) -> str:
    """'company/innovation' -> 'Company - Innovation'."""
    return " - ".join(part.replace("-", " ").capitalize() for part in category_id.split("/"))


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from exc
    return value


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file; raise ConfigError listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read config: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{file}: config is not UTF-8 text ({exc.reason})"]) from exc
    return parse_config(text, file)


def parse_config(text: str, file: Path) -> Config:
    data, lines, duplicates = _load_yaml(text, file)
    if not isinstance(data, dict):
        raise ConfigError([f"{file}:1: the config must be a mapping of keys (site, sources, ...)"])
    early = [
        _locate(file, lines, loc, "duplicate key: it would silently replace the one above")
        for loc in duplicates
    ]
    if "path" in data:  # set by newsdesk below, never by the file
        early.append(_locate(file, lines, ("path",), "unknown key"))
    if early:
        raise ConfigError(early)
    semantic = [_locate(file, lines, loc, message) for loc, message in _semantic_problems(data)]
    data = {**data, "path": file.resolve()}
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        typed = _format_validation_errors(exc, file, lines)
        raise ConfigError(typed + [problem for problem in semantic if problem not in typed]) from exc
    if semantic:
        raise ConfigError(semantic)
    problem = _output_problem(config.output_dir)
    if problem:
        raise ConfigError([_locate(file, lines, ("output",), problem)])
    missing = [
        _locate(file, lines, ("site", key), f"no such image file: {config.site_image(key)}")
        for key in ("icon", "logo")
        if (image := config.site_image(key)) is not None and not image.is_file()
    ]
    if missing:
        raise ConfigError(missing)
    return config


def _output_problem(folder: Path) -> str | None:
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


def _load_yaml(text: str, file: Path) -> tuple[Any, dict[Location, int], list[Location]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError([f"{file}{line}: invalid YAML: {exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{file}: invalid YAML: {exc}"]) from exc
    lines: dict[Location, int] = {}
    duplicates: list[Location] = []
    if node is not None:
        _record_lines(node, (), lines, duplicates)
    return data, lines, duplicates


def _record_lines(
    node: yaml.Node, path: Location, lines: dict[Location, int], duplicates: list[Location]
) -> None:
    """Map every key path to its line; note keys given twice in one mapping (YAML keeps the last)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            child = (*path, str(key.value))
            if child[-1] in seen:
                duplicates.append(child)
            seen.add(str(key.value))
            lines[child] = key.start_mark.line + 1
            _record_lines(value, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _record_lines(value, (*path, index), lines, duplicates)


def _format_key(loc: Location) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _locate(file: Path, lines: dict[Location, int], loc: Location, message: str) -> str:
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe)
    where = f"{file.name}:{line}" if line else file.name
    return f"{where} {_format_key(loc)}: {message}"


def _format_validation_errors(exc: ValidationError, file: Path, lines: dict[Location, int]) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if isinstance(part, str | int))
        kind = error["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            message = unknown_key_message(loc)
        else:
            message = error["msg"].removeprefix("Value error, ")
            if (
                "input" in error
                and kind not in ("value_error",)
                and not isinstance(error["input"], dict | list)
            ):
                message += f" (got {error['input']!r})"
        problems.append(_locate(file, lines, loc, message))
    return problems


def unknown_key_message(loc: Location) -> str:
    """'unknown key; did you mean 'every'?' when a known key at that place is spelled alike."""
    known = known_keys(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1) if loc else []
    return f"unknown key; did you mean {close[0]!r}?" if close else "unknown key"


def known_keys(loc: Location) -> list[str]:
    """The keys the config accepts in the mapping at `loc` (list indexes are skipped)."""
    model: type[BaseModel] | None = Config
    for part in loc:
        if isinstance(part, int):
            continue
        found = model.model_fields.get(part) if model is not None else None
        model = _model_in(found.annotation) if found is not None else None
    if model is None:
        return []
    return [name for name in model.model_fields if not (model is Config and name == "path")]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: itself, or inside a tuple or an optional (`tuple[SourceConfig, ...]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        model = _model_in(argument)
        if model is not None:
            return model
    return None


def _semantic_problems(data: dict[str, Any]) -> list[tuple[Location, str]]:
    """Checks that span several keys, on the raw document, so they are reported together with the
    type errors (one round of fixes, not two); values of the wrong type are left to pydantic."""
    problems: list[tuple[Location, str]] = []
    category_ids: set[str] = set()
    alias_owner: dict[str, str] = {}
    file_names: dict[str, str] = {}
    for index, category in enumerate(_list(data.get("categories"))):
        category_id = category.get("id") if isinstance(category, dict) else None
        if not isinstance(category_id, str):
            continue
        if category_id in category_ids:
            problems.append((("categories", index, "id"), f"duplicate category id {category_id!r}"))
        category_ids.add(category_id)
        if category_id.split("/")[0] in RESERVED_CATEGORY_IDS:
            problems.append(
                (
                    ("categories", index, "id"),
                    f"{category_id!r} is reserved for a site-wide file; choose another id",
                )
            )
        name = category_id.replace("/", "-")
        other = file_names.setdefault(name, category_id)
        if other != category_id:
            problems.append(
                (("categories", index, "id"), f"{category_id!r} and {other!r} would both publish {name}.atom")
            )
        for alias in _list(category.get("aliases")):
            if not isinstance(alias, str):
                continue
            owner = alias_owner.setdefault(normalize_label(alias), category_id)
            if owner != category_id:
                problems.append(
                    (("categories", index, "aliases"), f"alias {alias!r} already names {owner!r}")
                )
    names: set[str] = set()
    for index, source in enumerate(_list(data.get("sources"))):
        if not isinstance(source, dict):
            continue
        where: Location = ("sources", index)
        source_name = source.get("name")
        if isinstance(source_name, str) and source_name in names:
            problems.append(((*where, "name"), f"duplicate source name {source_name!r}"))
        if isinstance(source_name, str):
            names.add(source_name)
        url, urls = source.get("url"), source.get("urls")
        if not url and not urls:
            problems.append(((*where, "url"), "required: give url or urls"))
        for key, addresses in (("url", [url] if url else []), ("urls", _list(urls))):
            for address in addresses:
                if isinstance(address, str):
                    problem = _address_problem(address)
                    if problem:
                        problems.append(((*where, key), problem))
        if source.get("every") is not None and source.get("cron") is not None:
            problems.append(((*where, "cron"), "give either every or cron, not both"))
        category = source.get("category")
        if isinstance(category, str) and category not in category_ids:
            problems.append(((*where, "category"), f"unknown category {category!r} (not in categories)"))
        select = source.get("select")
        if source.get("type") == "html":
            if select is None:
                problems.append(((*where, "select"), "required for an html source"))
            elif isinstance(select, dict):
                for field in ("item", "title"):
                    if select.get(field) is None:
                        problems.append(((*where, "select", field), "required for an html source"))
        elif select is not None and source.get("type") in ("feed", "items"):
            problems.append(
                ((*where, "select"), f"only html sources take select (type is {source.get('type')})")
            )
    return problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _address_problem(address: str) -> str | None:
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises on a malformed host or port
    except ValueError as exc:
        return f"malformed address {address!r}: {exc}"
    if parts.scheme and len(parts.scheme) > 1 and parts.scheme not in ("http", "https", "file"):
        return f"unsupported address {address!r}: use http(s), file: or a path"
    return None
