"""A config file's text -> a validated Config, or every problem as `file:line key: message`.

YAML is read with the line of every key; pydantic validates the raw document against the dataclasses
of `config` (types, limits, the checks of single values); the checks that span several keys run on the
raw document beside it, so that all problems come in one round. Imported only when a file must be
validated (not when `config_cache` holds the same bytes validated already).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import typing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import TypeAdapter, ValidationError

from newsdesk.config import RESERVED_CATEGORY_IDS, Config, output_problem
from newsdesk.errors import ConfigError
from newsdesk.text import normalize_label

Location = tuple[str | int, ...]  # a key path in the YAML document: ("sources", 2, "select")
UNKNOWN_KEY = frozenset({"extra_forbidden", "unexpected_keyword_argument"})


@functools.cache
def _adapter() -> TypeAdapter[Config]:
    return TypeAdapter(Config)


def validated(text: str, file: Path) -> Config:
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
        config = _adapter().validate_python(data)
    except ValidationError as exc:
        typed = _format_validation_errors(exc, file, lines)
        raise ConfigError(typed + [problem for problem in semantic if problem not in typed]) from exc
    if semantic:
        raise ConfigError(semantic)
    problem = output_problem(config.output_dir)
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
        elif kind in UNKNOWN_KEY:
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
    section: type[Any] | None = Config
    for part in loc:
        if isinstance(part, int):
            continue
        hints = _fields(section) if section is not None else {}
        section = _section_in(hints[part]) if part in hints else None
    if section is None:
        return []
    return [name for name in _fields(section) if not (section is Config and name == "path")]


def _fields(section: type[Any]) -> dict[str, Any]:
    """A section's keys and their types, in order."""
    hints = typing.get_type_hints(section)
    return {field.name: hints[field.name] for field in dataclasses.fields(section)}


def _section_in(annotation: Any) -> type[Any] | None:
    """The section a key holds: itself, or inside a tuple or an optional (`tuple[SourceConfig, ...]`)."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    for argument in typing.get_args(annotation):
        section = _section_in(argument)
        if section is not None:
            return section
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
        elif select is not None and source.get("type") in ("feed", "items", "auto"):
            problems.append(
                ((*where, "select"), f"only html sources take select (type is {source.get('type')})")
            )
        for key in ("render", "enrich"):
            if source.get(key) is not None and source.get("type") in ("feed", "items"):
                problems.append(
                    ((*where, key), f"only html and auto sources take {key} (type is {source.get('type')})")
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
