"""Exceptions that render as the one line a maintainer reads (after lemon24/reader's exceptions)."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of every expected error; str() is the whole message the CLI prints."""


class ConfigError(NewsdeskError):
    """One or more problems in the config file, each already formatted as `file:line key: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SourceError(NewsdeskError):
    """A source could not be refreshed; carries the source name and the URL involved."""

    def __init__(self, source: str, url: str | None, message: str) -> None:
        self.source = source
        self.url = url
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        return f"source {self.source!r}{where}: {self.message}"


class FetchError(SourceError):
    """The page could not be retrieved (network, HTTP status, size or time limits)."""


class ExtractError(SourceError):
    """The page was retrieved but could not be turned into items."""


class StoreError(NewsdeskError):
    """The store cannot be opened or used: driver missing, server unreachable, schema too new."""


class PublishError(NewsdeskError):
    """A feed file could not be written; the previous file is left in place."""
