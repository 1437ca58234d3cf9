"""Golden files: the bundled example published with a fixed clock, byte for byte.

A change that alters one byte of what readers get shows here. When the change is meant, write the new
bytes with `NEWSDESK_UPDATE_GOLDEN=1 make test` and review the diff of tests/golden/ in the commit.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from example_site import example_config, published_files
from newsdesk.config import load_config
from newsdesk.pipeline import run

from helpers import Clock

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "example"


def test_the_example_publishes_the_golden_bytes(tmp_path: Path) -> None:
    config = load_config(example_config(tmp_path, f"sqlite:///{tmp_path}/state/newsdesk.db"))
    report = run(config, now=Clock())
    assert not report.failed
    got = published_files(config.output_dir)
    if os.environ.get("NEWSDESK_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(config.output_dir, GOLDEN)
    expected = published_files(GOLDEN)
    assert sorted(got) == sorted(expected)
    for name, data in expected.items():
        if got[name] != data:
            diff = difflib.unified_diff(
                data.decode(errors="replace").splitlines(),
                got[name].decode(errors="replace").splitlines(),
                f"golden/{name}",
                f"now/{name}",
                lineterm="",
            )
            raise AssertionError("\n".join(list(diff)[:40]))
