"""README.md is what a new user reads first: its links lead somewhere inside the repository, and its
config.yaml example is a config newsdesk accepts (required keys included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsdesk.config import parse_config
from newsdesk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_no_link_points_outside_the_repository() -> None:
    prose = re.sub(r"```.*?```", "", README, flags=re.S)  # links live in the prose, not in code
    targets = re.findall(r"\]\(([^)\s]+)\)", prose)
    assert targets
    for target in targets:
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target
    assert "../" not in README  # not even as a path in text


def readme_config() -> str:
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if b.startswith("site:")]
    return block


@pytest.fixture(autouse=True)
def _brand_icon(tmp_path: Path) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # the example names a local icon


def test_the_config_example_is_accepted(tmp_path: Path) -> None:
    config = parse_config(readme_config(), tmp_path / "config.yaml")
    assert config.site.author and config.site.icon == "brand/icon.png"
    assert any(source.select and source.select.link for source in config.sources)


def test_site_author_is_required_as_the_readme_says(tmp_path: Path) -> None:
    assert "title, url and author are required" in README
    without_author = re.sub(r"\n  author: .*", "", readme_config(), count=1)
    with pytest.raises(ConfigError) as raised:
        parse_config(without_author, tmp_path / "config.yaml")
    assert "site.author" in str(raised.value)


def test_a_card_that_is_itself_the_link_is_documented_and_works(tmp_path: Path) -> None:
    from newsdesk.extract import extract
    from newsdesk.models import Page

    assert '"@href" alone: the card is the link' in README
    text = readme_config().replace(
        "      link: .news-teaser__title a@href", '      item: a.card\n      link: "@href"', 1
    )
    text = text.replace("      item: article.news-teaser         # CSS selector of one card\n", "", 1)
    config = parse_config(text, tmp_path / "config.yaml")
    (source,) = [s for s in config.sources if s.type == "html"]
    from datetime import UTC, datetime

    body = b'<a class="card" href="/n/1"><h3 class="news-teaser__title">One</h3></a>'
    page = Page("https://www.example.org/en/", 200, {"content-type": "text/html"}, body, datetime.now(UTC))
    (raw,) = extract(source, page)
    assert raw.link == "https://www.example.org/n/1" and raw.title == "One"
