"""Fixtures shared by every test: a hand-moved clock and configs written to real files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsdesk.config import Config, load_config

from databases import BACKENDS, database_for
from helpers import Clock, write_config

# The config cache of this test run (and of the commands it starts), never the user's own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="newsdesk-test-cache-")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def database() -> str:
    """The `database:` of the test's configs: a SQLite file beside it. Store, dedup and pipeline
    tests override this fixture with `any_database`, so they run on every backend."""
    return "state/newsdesk.db"


@pytest.fixture(params=BACKENDS)
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store on SQLite, then on PostgreSQL (skipped, with the reason, where there is none)."""
    with database_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_config(tmp_path: Path, database: str) -> Callable[..., Config]:
    def make(sources: str, **kwargs: str) -> Config:
        return load_config(write_config(tmp_path, sources, database=database, **kwargs))

    return make


@pytest.fixture(autouse=True)
def _unknown_paths_are_404(request: pytest.FixtureRequest) -> None:
    """pytest-httpserver answers 500 for paths no test set up; real sites answer 404 (robots.txt too)."""
    if "httpserver" in request.fixturenames:
        request.getfixturevalue("httpserver").no_handler_status_code = 404
