"""What the last publish into an output folder was made from, so that a run in which nothing changed
renders nothing.

Publishing is a function of the store's content, the config file, the site's image files and this
release (never of the clock). The store notes every write that changes a feed (its list of changes);
so when the newest change, the config, the images and the release are those of the last publish, and
every file it wrote is still there as it wrote it (size and modification time), publishing again would
write the same bytes: it is skipped. The manifest lives in the store's meta table, one per folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from newsdesk import __version__
from newsdesk.config import Config
from newsdesk.store import Store

KEY = "published:"  # + the output folder


def output_state(config: Config, change: int) -> str | None:
    """A digest of everything the output depends on, up to store change `change`; None when the config
    file cannot be read again (then nothing is skipped)."""
    digest = hashlib.sha256(f"{__version__}\n{change}\n".encode())
    try:
        digest.update(config.path.read_bytes())
        for key in ("icon", "logo"):
            image = config.site_image(key)
            if image is not None:
                digest.update(image.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _stat(folder: Path, name: str) -> list[int] | None:
    try:
        info = (folder / name).stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def is_current(config: Config, store: Store, state: str) -> bool:
    """True when the folder holds what a publish of `state` would write (it was the last one there)."""
    stored = store.meta(KEY + str(config.output_dir))
    if stored is None:
        return False
    manifest = json.loads(stored)
    if manifest.get("state") != state:
        return False
    folder = config.output_dir
    return all(_stat(folder, name) == seen for name, seen in manifest["files"].items())


def remember(config: Config, store: Store, state: str, files: Iterable[str], *, complete: bool) -> None:
    """Note that the folder now holds the publish of `state`. A publish of some feeds only (`complete`
    False) keeps what the last manifest said of the other files; without one, it notes nothing."""
    folder = config.output_dir
    key = KEY + str(folder)
    seen: dict[str, list[int] | None] = {}
    if not complete:
        stored = store.meta(key)
        if stored is None:
            return
        seen = json.loads(stored)["files"]
    seen.update({name: _stat(folder, name) for name in files})
    store.set_meta(key, json.dumps({"state": state, "files": seen}, sort_keys=True))
