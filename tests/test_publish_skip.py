"""A run in which nothing changed renders no file; anything the output depends on brings the publish back."""

from __future__ import annotations

from pathlib import Path

from example_site import example_config, published_files
from newsdesk.config import load_config
from newsdesk.pipeline import run

from helpers import Clock


def _run(path: Path, clock: Clock):
    return run(load_config(path), now=clock).publish


def test_nothing_changed_nothing_rendered_and_the_files_stay(tmp_path: Path) -> None:
    clock = Clock()
    path = example_config(tmp_path, f"sqlite:///{tmp_path}/state/newsdesk.db")
    first = _run(path, clock)
    assert first is not None and first.written and not first.skipped
    files = published_files(tmp_path / "feeds")
    clock.advance(minutes=30)
    second = _run(path, clock)
    assert second is not None and second.skipped and not second.written
    assert published_files(tmp_path / "feeds") == files


def test_a_deleted_or_edited_file_a_new_config_or_new_story_publish_again(tmp_path: Path) -> None:
    clock = Clock()
    path = example_config(tmp_path, f"sqlite:///{tmp_path}/state/newsdesk.db")
    _run(path, clock)
    files = published_files(tmp_path / "feeds")

    (tmp_path / "feeds" / "research.atom").unlink()
    healed = _run(path, clock)
    assert healed is not None and healed.written == ["research.atom"]

    (tmp_path / "feeds" / "index.html").write_text("edited by hand", encoding="utf-8")
    healed = _run(path, clock)
    assert healed is not None and healed.written == ["index.html"]
    assert published_files(tmp_path / "feeds") == files

    path.write_text(
        path.read_text(encoding="utf-8").replace("ENSTA news", "ENSTA newsroom"), encoding="utf-8"
    )
    retitled = _run(path, clock)
    assert retitled is not None and not retitled.skipped and "all.atom" in retitled.written

    extra = _copy_items_file(tmp_path, path)
    _run(path, clock)  # the item file moved: its source's config changed
    extra.write_text(
        extra.read_text(encoding="utf-8")
        + "- title: A story added later\n  link: https://www.ensta.example/en/news/later\n"
        "  category: Research\n  date: 2026-11-29\n",
        encoding="utf-8",
    )
    added = _run(path, clock)
    assert added is not None and "research.atom" in added.written


def _copy_items_file(tmp_path: Path, path: Path) -> Path:
    """The example's hand-written item file, copied so the test may add a story to it."""
    text = path.read_text(encoding="utf-8")
    original = next(line.split("- ", 1)[1].strip() for line in text.splitlines() if "extra.yaml" in line)
    copy = tmp_path / "extra.yaml"
    copy.write_bytes(Path(original).read_bytes())
    path.write_text(text.replace(original, str(copy)), encoding="utf-8")
    return copy
