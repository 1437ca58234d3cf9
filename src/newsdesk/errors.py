"""The one exception tree. Each class renders as the line a maintainer reads (after lemon24/reader's
exceptions) and carries its `kind`, the word `status` and the logs show for it."""

from __future__ import annotations

from datetime import datetime


class NewsdeskError(Exception):
    """Base of every expected error; str() is the whole message the CLI prints."""

    kind = "error"


class ConfigError(NewsdeskError):
    """One or more problems in the config file, each already formatted as `file:line key: message`."""

    kind = "config"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SourceError(NewsdeskError):
    """A source could not be refreshed; carries the source name and the URL involved."""

    kind = "fetch"

    def __init__(self, source: str, url: str | None, message: str) -> None:
        self.source = source
        self.url = url
        self.message = message
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable with its fields (a parsing process raises it for the parent)."""
        return (_rebuild, (type(self), self.__dict__))

    def __str__(self) -> str:
        where = f" {self.url}" if self.url else ""
        return f"source {self.source!r}{where}: {self.message}"


class FetchError(SourceError):
    """The page could not be retrieved (network, HTTP status, size or time limits)."""


class ExtractError(SourceError):
    """The page was retrieved but could not be turned into items."""

    kind = "extract"


class NoItemsError(ExtractError):
    """Pages read and no item found, where none was ever found: a wrong selector or address, which
    must not pass for a quiet site."""

    kind = "no items"


class GoneError(FetchError):
    """410 Gone: the address will not come back; the source is disabled until its config changes."""

    kind = "gone"


class RetryLaterError(FetchError):
    """429 or 503 with Retry-After: no request to this source before `until`."""

    kind = "retry"

    def __init__(self, source: str, url: str, message: str, until: datetime) -> None:
        super().__init__(source, url, message)
        self.until = until


class RobotsBlocked(FetchError):
    """The site's robots.txt disallows this page for our user agent."""

    kind = "robots"


class LimitsUnavailable(NewsdeskError):
    """The per-host limits shared by the workers cannot be reached: no request is sent meanwhile."""

    kind = "fetch"


class SelectorSyntaxError(NewsdeskError, ValueError):
    """A selector in the config cannot be parsed; the message quotes it (a ValueError for validation)."""

    kind = "config"


class StoreError(NewsdeskError):
    """The store cannot be opened or used: driver missing, server unreachable, schema too new."""

    kind = "store"


class DatabaseError(NewsdeskError):
    """A statement failed on a store that did open (disk full, connection lost, lock not free)."""

    kind = "store"


class AlreadyRunning(NewsdeskError):
    """Another daemon writes this output folder."""

    kind = "running"


class PublishError(NewsdeskError):
    """A feed file could not be written; the previous file is left in place."""

    kind = "publish"


class ListenError(NewsdeskError):
    """The server cannot listen on the address asked for (in use, not local, bad port)."""

    kind = "listen"

    def __init__(self, host: str, port: int | str, reason: str) -> None:
        self.host, self.port, self.reason = host, port, reason
        super().__init__(f"cannot listen on {host_port(host, port)}: {reason}")


def host_port(host: str, port: int | str) -> str:
    """host:port as a person types it ([::1]:8080 for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _rebuild(kind: type[SourceError], fields: dict[str, object]) -> SourceError:
    error = kind.__new__(kind)
    error.__dict__.update(fields)
    Exception.__init__(error, fields.get("message"))
    return error
