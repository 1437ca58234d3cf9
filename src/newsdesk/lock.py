"""One daemon per output folder: an flock'ed file, holding the owner's pid.

The kernel drops an flock when its process dies, so a lock left by a crashed daemon is stale by
construction; the pid in the file only serves to name the running daemon in the refusal message.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from newsdesk.clock import utc_now
from newsdesk.config import Config
from newsdesk.errors import AlreadyRunning


def lock_path(config: Config) -> Path:
    """One daemon per output folder. A SQLite store keeps the lock beside it (its folder is writable
    even when the output is not); any number of daemons may share one store, each with its own output."""
    from newsdesk.store.database import sqlite_path

    database = sqlite_path(config.database_url)
    if database is None:
        return config.output_dir / ".newsdesk-daemon.lock"
    output = hashlib.sha256(str(config.output_dir).encode("utf-8")).hexdigest()[:12]
    return database.with_name(f"{database.name}.{output}.lock")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class InstanceLock:
    def __init__(self, path: Path, *, now: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.now = now
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().split()
            handle.close()
            pid = owner[0] if owner else "?"
            alive = pid.isdigit() and pid_alive(int(pid))
            raise AlreadyRunning(
                f"another newsdesk daemon is running (pid {pid}{'' if alive else ', not answering'}, "
                f"lock {self.path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
