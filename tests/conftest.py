"""Fixtures shared by every test: a hand-moved clock and configs written to real files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from newsdesk.config import Config, load_config

from helpers import Clock, write_config


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    def make(sources: str, **kwargs: str) -> Config:
        return load_config(write_config(tmp_path, sources, **kwargs))

    return make


@pytest.fixture(autouse=True)
def _unknown_paths_are_404(request: pytest.FixtureRequest) -> None:
    """pytest-httpserver answers 500 for paths no test set up; real sites answer 404 (robots.txt too)."""
    if "httpserver" in request.fixturenames:
        request.getfixturevalue("httpserver").no_handler_status_code = 404
