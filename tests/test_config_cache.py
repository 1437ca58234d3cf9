"""The config cache: the same bytes are validated once; anything else is validated again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsdesk import config_cache
from newsdesk.config import load_config
from newsdesk.errors import ConfigError

from helpers import write_config

FEED = """
  - name: press
    type: feed
    url: https://www.example.org/press.rss
"""
LOADED = (
    "import sys; from newsdesk.config import load_config; config = load_config(sys.argv[1]); "
    "print(config.sources[0].name, 'yaml' in sys.modules, 'pydantic' in sys.modules)"
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "newsdesk"


def _load_in_a_new_process(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, str(path)], capture_output=True, text=True, check=True, env=os.environ
    )
    return done.stdout.strip()


def test_the_second_reading_of_the_same_bytes_imports_neither_yaml_nor_pydantic(tmp_path, cache) -> None:
    path = write_config(tmp_path, FEED)
    assert _load_in_a_new_process(path) == "press True True"
    assert len(list(cache.glob("config-*.pickle"))) == 1
    assert _load_in_a_new_process(path) == "press False False"


def test_changed_bytes_are_validated_again(tmp_path, cache) -> None:
    path = write_config(tmp_path, FEED)
    load_config(path)
    path.write_text(path.read_text(encoding="utf-8").replace("type: feed", "type: rss"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems[0].startswith("config.yaml:")
    assert "sources[0].type" in caught.value.problems[0]


def test_a_corrupt_entry_or_one_of_another_release_is_validated_again(tmp_path, cache, monkeypatch) -> None:
    path = write_config(tmp_path, FEED)
    first = load_config(path)
    (entry,) = cache.glob("config-*.pickle")
    entry.write_bytes(entry.read_bytes()[:-20])
    assert load_config(path) == first  # validated again, and kept again
    monkeypatch.setattr(config_cache, "__version__", "0.0.0-other")
    assert config_cache.read(path, path.read_bytes()) is None


def test_what_the_config_relies_on_outside_itself_is_checked_at_every_reading(tmp_path, cache) -> None:
    path = write_config(tmp_path, FEED)
    text = path.read_text(encoding="utf-8")
    text = text.replace("  language: en\n", "  language: en\n  icon: brand/icon.png\n")
    path.write_text(text, encoding="utf-8")
    icon = tmp_path / "brand" / "icon.png"
    icon.parent.mkdir()
    icon.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert load_config(path).site.icon == "brand/icon.png"
    icon.unlink()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = text.splitlines().index("  icon: brand/icon.png") + 1
    assert caught.value.problems == [f"config.yaml:{line} site.icon: no such image file: {icon}"]


def test_a_cache_folder_others_may_write_is_not_trusted(tmp_path, cache) -> None:
    path = write_config(tmp_path, FEED)
    load_config(path)
    cache.chmod(0o777)
    assert config_cache.read(path, path.read_bytes()) is None
    cache.chmod(0o700)
    assert config_cache.read(path, path.read_bytes()) == load_config(path)


def test_no_usable_cache_folder_still_loads(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert load_config(write_config(tmp_path, FEED)).sources[0].name == "press"
