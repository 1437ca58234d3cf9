"""Data-driven extraction: every tests/fixtures/pages/<name>.html beside <name>.expected.json.

Adding a tricky page is adding two files; each expected file says in "why" what it checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.config import parse_config
from newsdesk.dedup.identity import collapse
from newsdesk.errors import ExtractError
from newsdesk.extract.html import base_url, decode_html, extract_html, parse_html
from newsdesk.models import Page
from newsdesk.normalize.item import Normalizer

from helpers import CATEGORIES, FIXTURES

PAGES = sorted((FIXTURES / "pages").glob("*.expected.json")) + sorted(
    (FIXTURES / "realworld").glob("*.expected.json")
)
FETCHED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _config(expected: dict, tmp_path: Path):
    select = "\n".join(f"      {key}: {json.dumps(value)}" for key, value in expected["select"].items())
    text = f"""
site:
  title: T
  url: https://news.example.org/
  author: A
  timezone: {expected.get("timezone", "UTC")}
{CATEGORIES}
sources:
  - name: page
    type: html
    url: {expected["page_url"]}
    language: {expected["language"]}
    select:
{select}
"""
    return parse_config(text, tmp_path / "config.yaml")


@pytest.mark.parametrize("expected_file", PAGES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_page_yields_expected_items(expected_file: Path, tmp_path: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    html_file = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
    config = _config(expected, tmp_path)
    source = config.sources[0]
    fetched_at = datetime.fromisoformat(expected.get("fetched_at", FETCHED_AT.isoformat()))
    page = Page(
        url=expected["page_url"],
        status=200,
        headers={"content-type": expected.get("content_type", "text/html")},
        body=html_file.read_bytes(),
        fetched_at=fetched_at,
    )
    assert source.select is not None
    raw = extract_html(page, source.name, source.select)
    normalizer = Normalizer.for_source(config, source)
    items = collapse(n for r in raw if (n := normalizer.normalize(r, fetched_at)) is not None)
    got = []
    for item, want in zip(items, expected["items"], strict=False):
        row = {
            "title": item.title,
            "url": item.url,
            "categories": list(item.categories),
            "published": item.published.isoformat() if item.published else None,
            "summary_text": item.summary_text,
        }
        if "image" in want:
            row["image"] = item.image
        if "unparsed_date" in want:
            row["unparsed_date"] = item.unparsed_date
        got.append(row)
    assert got == expected["items"]
    assert len(items) == len(expected["items"])


def test_carousel_clones_are_extracted_then_merged() -> None:
    html = (FIXTURES / "pages" / "seed-carousel.html").read_bytes()
    page = Page("https://www.ensta.example/en/", 200, {}, html, FETCHED_AT)
    config = parse_config(
        """
site: {title: T, url: "https://n.example/", author: A}
sources:
  - name: s
    type: html
    url: https://www.ensta.example/en/
    select: {item: ".latest-news .card", title: ".card__title", link: ".card__title a@href"}
""",
        Path("config.yaml"),
    )
    assert config.sources[0].select is not None
    raw = extract_html(page, "s", config.sources[0].select)
    assert len(raw) == 6
    normalizer = Normalizer.for_source(config, config.sources[0])
    assert len(collapse(n for r in raw if (n := normalizer.normalize(r, FETCHED_AT)) is not None)) == 3


def test_base_href_relative_and_in_template() -> None:
    html = (
        b"<html><head><template><base href='https://evil.example/'></template>"
        b"<base href='/news/'></head><body></body></html>"
    )
    page = Page("https://www.example.org/en/index.html", 200, {}, html, FETCHED_AT)
    assert base_url(parse_html(page, "s"), page.url) == "https://www.example.org/news/"


def test_no_base_uses_page_url() -> None:
    page = Page("https://www.example.org/en/index.html", 200, {}, b"<p>x</p>", FETCHED_AT)
    assert base_url(parse_html(page, "s"), page.url) == page.url


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"content-type": "text/html; charset=utf-8"}, "café".encode(), "café"),
        ({}, "<meta charset='iso-8859-1'>caf\xe9".encode("latin-1"), "café"),
        ({}, "café sans déclaration".encode(), "café sans déclaration"),
        ({}, "caf\xe9 windows".encode("cp1252"), "café windows"),
        ({}, b"\xef\xbb\xbfBOM caf\xc3\xa9", "BOM café"),
        ({"content-type": "text/html; charset=windows-1252"}, "\u20ac".encode("cp1252"), "€"),
    ],
)
def test_decoding_follows_the_html_standard(headers: dict, body: bytes, expected: str) -> None:
    page = Page("https://e.example/", 200, headers, body, FETCHED_AT)
    assert expected in decode_html(page)


def test_empty_page_is_an_extract_error() -> None:
    page = Page("https://e.example/", 200, {}, b"   ", FETCHED_AT)
    with pytest.raises(ExtractError, match=r"https://e\.example/: the page is empty"):
        parse_html(page, "s")
