"""`make clean` leaves a checkout as it was cloned: every file that `make run` generates is gone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git")
def test_make_clean_removes_every_generated_file(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in git(ROOT, "ls-files").splitlines():  # the tracked files as they are now
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "as cloned")
    newsdesk = [sys.executable, "-m", "newsdesk"]
    subprocess.run([*newsdesk, "run", "--config", "config.yaml", "-q"], cwd=checkout, check=True)
    (checkout / ".venv").mkdir()  # stands for the virtualenv `make run` creates
    generated = git(checkout, "status", "--porcelain", "--ignored").splitlines()
    assert any("feeds/" in line for line in generated) and any("state/" in line for line in generated)

    subprocess.run(["make", "clean"], cwd=checkout, check=True, capture_output=True)

    assert git(checkout, "status", "--porcelain", "--ignored") == ""
    assert (checkout / "feeds" / "README.md").exists()
