"""Start-up: what a command loads. Heavy libraries come in only for the work that needs them, so that
`--help`, `status`, `check` and a run in which nothing changed start in a few tens of milliseconds
(the timings themselves are in `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from example_site import example_config

HEAVY = ("sqlalchemy", "alembic", "pydantic", "yaml", "numpy", "lxml", "feedgen", "jinja2", "feedparser")
LOADED = """
import json, sys
from newsdesk.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def _loaded(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example, run once: its store exists and its config was validated before."""
    folder = tmp_path_factory.mktemp("startup")
    path = example_config(folder, f"sqlite:///{folder}/state/newsdesk.db")
    assert _loaded("run", "--config", str(path), "-q")["code"] == 0
    return path


def test_help_loads_nothing_heavy() -> None:
    assert _loaded("--help") == {"code": 0, "heavy": []}


@pytest.mark.parametrize("command", ["status", "check"])
def test_reading_commands_load_nothing_heavy(example: Path, command: str) -> None:
    assert _loaded(command, "--config", str(example)) == {"code": 0, "heavy": []}


def test_a_run_in_which_nothing_changed_loads_no_parser_judge_or_renderer(example: Path) -> None:
    # The example's pages are local files: read again byte for byte, nothing is parsed or published.
    assert _loaded("run", "--config", str(example), "-q") == {"code": 0, "heavy": []}
