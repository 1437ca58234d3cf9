"""The last validation of each config file, kept so that commands start without YAML or pydantic.

A config file is validated once per content: the Config it gave is kept under the user's cache folder
($XDG_CACHE_HOME/newsdesk, else ~/.cache/newsdesk), one file per config path, beside the digest of the
bytes it came from and the release that validated it. What a valid config relies on outside itself (a
writable output folder, its image files, the database driver) is checked again at every read. Any
trouble with the cache (no home, unwritable, corrupt, another release, a folder others may write)
only means the file is validated again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import stat
import tempfile
from pathlib import Path

from newsdesk import __version__
from newsdesk.config import Config, environment_problem

FORMAT = b"newsdesk-config-1\n"
DRIVER_MODULES = {"postgresql": "psycopg", "psycopg": "psycopg", "sqlite": "sqlite3", "pysqlite": "sqlite3"}


def cache_folder() -> Path | None:
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "newsdesk"
    try:
        return Path.home() / ".cache" / "newsdesk"
    except RuntimeError:  # no home folder: no cache
        return None


def _entry(file: Path) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:32]
    return folder / f"config-{key}.pickle"


def _private(folder: Path) -> bool:
    """Only a folder of this user that nobody else may write is trusted with what is unpickled."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@functools.cache
def _code() -> bytes:
    """The config classes' source: a checkout that changed them (same version) validates again."""
    return hashlib.sha256(Path(__file__).with_name("config.py").read_bytes()).hexdigest().encode()


def _stamp(data: bytes) -> bytes:
    version = f"{__version__}\n".encode() + _code() + b"\n"
    return FORMAT + version + hashlib.sha256(data).hexdigest().encode() + b"\n"


def read(file: Path, data: bytes) -> Config | None:
    """The Config these bytes of `file` validated to, when kept and still true of this machine."""
    entry = _entry(file)
    if entry is None or not _private(entry.parent):
        return None
    stamp = _stamp(data)
    try:
        kept = entry.read_bytes()
        if not kept.startswith(stamp):
            return None
        config = pickle.loads(kept[len(stamp) :])  # noqa: S301 - written by this user, folder checked
    except Exception:  # noqa: BLE001 - a cache: anything wrong with it means validating again
        return None
    if not isinstance(config, Config) or not _still_true(config):
        return None
    return config


def _still_true(config: Config) -> bool:
    if "://" in config.database:
        scheme = config.database.split("://", 1)[0]
        backend, _, driver = scheme.partition("+")
        module = DRIVER_MODULES.get(driver or backend)
        if module is None or importlib.util.find_spec(module) is None:
            return False  # validating again names what to install, on the database line
    return environment_problem(config) is None


def write(file: Path, data: bytes, config: Config) -> None:
    """Keep the Config these bytes validated to; quietly nothing when the cache cannot be written."""
    entry = _entry(file)
    if entry is None:
        return
    temporary = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(entry.parent):
            return
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".config-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(_stamp(data) + pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL))
        Path(temporary).replace(entry)
        temporary = None
    except OSError:
        return
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
