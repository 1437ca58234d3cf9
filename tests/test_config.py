"""config.yaml -> Config: what a valid file gives, and the one line a maintainer reads for each mistake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsdesk.config import Config, load_config, parse_config
from newsdesk.errors import ConfigError

# Lines 1-4 of most configs below; cases append from line 5 on.
SITE = "site:\n  title: News\n  url: https://news.example.org\n  author: Comms\n"

FEED_SOURCE = (  # lines 5-8
    "sources:\n  - name: a\n    type: feed\n    url: https://example.org/feed.xml\n"
)


def write_config(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "config.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, text))
    # YAML-level errors name the whole path, validation errors the file name: compare from the name on.
    return [problem.removeprefix(f"{tmp_path}/") for problem in caught.value.problems]


# --- a valid config --------------------------------------------------------------------------

VALID = """\
site:
  title: Campus news
  url: https://news.example.org/campus
  author: Communication office
  language: fr
  timezone: Europe/Paris
output: public
database: data/newsdesk.db
categories:
  - id: research
    aliases: [Research, Recherche]
sources:
  - name: press
    type: feed
    url: pages/press.rss
    category: research
  - name: site
    type: html
    urls: [https://example.org/news, /srv/pages/more.html, file:///srv/pages/other.html]
    every: 15m
    language: en
    select:
      item: article
      title: h3
      link: h3 a@href
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path, VALID))


def test_valid_config_loads_site_settings(config: Config) -> None:
    assert config.site.title == "Campus news"
    assert config.site.url == "https://news.example.org/campus/"  # trailing slash added
    assert config.site.language == "fr"
    assert config.site.timezone == "Europe/Paris"
    assert [s.name for s in config.sources] == ["press", "site"]
    assert [c.id for c in config.categories] == ["research"]


def test_relative_output_and_database_resolve_against_the_config_folder(
    config: Config, tmp_path: Path
) -> None:
    folder = tmp_path.resolve()
    assert config.path == folder / "config.yaml"
    assert config.output_dir == folder / "public"
    assert config.database_url == f"sqlite:///{folder / 'data' / 'newsdesk.db'}"


def test_paths_resolve_from_the_config_folder_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(write_config(site, VALID))
    assert config.output_dir == site.resolve() / "public"
    assert config.resolve_address("pages/press.rss") == (site.resolve() / "pages" / "press.rss").as_uri()


def test_absolute_output_and_database_url_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out"
    text = SITE + f"output: {target}\ndatabase: postgresql://user@db.example.org/news\n"
    config = load_config(write_config(tmp_path, text))
    assert config.output_dir == target.resolve()
    assert config.database_url == "postgresql://user@db.example.org/news"


def test_url_and_urls_both_give_the_pages_of_a_source(config: Config) -> None:
    assert config.source("press").pages == ("pages/press.rss",)
    assert config.source("site").pages == (
        "https://example.org/news",
        "/srv/pages/more.html",
        "file:///srv/pages/other.html",
    )


def test_resolve_address_turns_paths_into_file_urls(config: Config, tmp_path: Path) -> None:
    folder = tmp_path.resolve()
    assert config.resolve_address("pages/press.rss") == (folder / "pages" / "press.rss").as_uri()
    assert config.resolve_address("pages/press.rss").startswith("file:///")
    assert config.resolve_address("/srv/pages/more.html") == "file:///srv/pages/more.html"
    assert config.resolve_address("file:///srv/pages/other.html") == "file:///srv/pages/other.html"
    assert config.resolve_address("https://example.org/news") == "https://example.org/news"
    assert config.resolve_address("http://example.org/news") == "http://example.org/news"


def test_interval_defaults_to_one_hour_and_every_sets_it(config: Config) -> None:
    assert config.source("press").interval == timedelta(hours=1)
    assert config.source("site").interval == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("every", "interval"),
    [
        ("30s", timedelta(seconds=30)),
        ("45m", timedelta(minutes=45)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        (" 10 m ", timedelta(minutes=10)),
    ],
)
def test_every_accepts_each_unit(tmp_path: Path, every: str, interval: timedelta) -> None:
    config = load_config(write_config(tmp_path, SITE + FEED_SOURCE + f"    every: '{every}'\n"))
    assert config.sources[0].interval == interval


def test_source_language_falls_back_to_the_site_language(config: Config) -> None:
    assert config.source_language(config.source("site")) == "en"
    assert config.source_language(config.source("press")) == "fr"


def test_defaults_of_a_minimal_config(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SITE))
    assert config.site.url == "https://news.example.org/"
    assert config.site.language == "en"
    assert config.site.timezone == "UTC"
    assert config.max_entries == 50
    assert config.sources == ()
    assert config.categories == ()
    assert config.output_dir == tmp_path.resolve() / "feeds"
    assert config.database_url == f"sqlite:///{tmp_path.resolve() / 'state' / 'newsdesk.db'}"


def test_site_url_with_a_trailing_slash_is_kept_as_is(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SITE.replace("example.org", "example.org/")))
    assert config.site.url == "https://news.example.org/"


def test_category_title_defaults_from_its_id(tmp_path: Path) -> None:
    text = SITE + "categories:\n  - id: company/innovation\n  - id: press\n    title: Press releases\n"
    config = load_config(write_config(tmp_path, text))
    assert [c.display_title for c in config.categories] == ["Company - Innovation", "Press releases"]


def test_unknown_source_name_lists_the_known_ones(config: Config) -> None:
    with pytest.raises(ConfigError, match=r"no source named 'nope' \(known: press, site\)"):
        config.source("nope")


def test_parse_config_takes_text_and_names_the_file_in_errors(tmp_path: Path) -> None:
    config = parse_config(SITE, tmp_path / "config.yaml")
    assert config.site.title == "News"
    with pytest.raises(ConfigError) as caught:
        parse_config(SITE + "colour: blue\n", tmp_path / "other.yaml")
    assert caught.value.problems == ["other.yaml:5 colour: unknown key"]


def test_the_bundled_config_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "config.yaml")
    assert config.sources


# --- one clear line per mistake ----------------------------------------------------------------

HTML_SOURCE_B = (  # lines 9-14, after FEED_SOURCE
    "  - name: b\n"
    "    type: html\n"
    "    url: https://example.org/news\n"
    "    select:\n"
    "      item: article\n"
    "      title: h3\n"
)

WRONG_CONFIGS = [
    pytest.param(
        SITE + "sources:\n  - name: a\n   type: feed\n",
        "config.yaml:7: invalid YAML",
        id="bad-yaml-indentation",
    ),
    pytest.param(
        SITE + 'sources:\n  - name: a\n    type: feed\n    url: "https://example.org\n',
        "config.yaml:9: invalid YAML",
        id="bad-yaml-unclosed-quote",
    ),
    pytest.param("- site\n- sources\n", "config.yaml:1: the config must be a mapping", id="top-is-a-list"),
    pytest.param("just some words\n", "config.yaml:1: the config must be a mapping", id="top-is-a-string"),
    pytest.param("", "config.yaml:1: the config must be a mapping", id="empty-file"),
    pytest.param(SITE + "colour: blue\n", "config.yaml:5 colour: unknown key", id="unknown-top-key"),
    pytest.param(
        SITE + FEED_SOURCE + "    colour: blue\n",
        "config.yaml:9 sources[0].colour: unknown key",
        id="unknown-source-key",
    ),
    pytest.param(SITE + "  colour: blue\n", "config.yaml:5 site.colour: unknown key", id="unknown-site-key"),
    pytest.param(
        SITE + "max_entries: lots\n",
        "config.yaml:5 max_entries:",
        id="wrong-type-int",
    ),
    pytest.param(
        SITE + "fetch:\n  timeout: soon\n",
        "config.yaml:6 fetch.timeout:",
        id="wrong-type-nested",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    enabled: maybe\n",
        "config.yaml:9 sources[0].enabled:",
        id="wrong-type-bool",
    ),
    pytest.param(
        SITE + "max_entries: 0\n",
        "config.yaml:5 max_entries:",
        id="max-entries-zero",
    ),
    pytest.param(
        "site:\n  url: https://news.example.org\n  author: Comms\n",
        "config.yaml:1 site.title: required",
        id="missing-site-title",
    ),
    pytest.param(
        SITE.replace("https://news.example.org", "news.example.org"),
        "config.yaml:3 site.url: must be an http(s) address",
        id="site-url-not-http",
    ),
    pytest.param(
        SITE + "  timezone: Mars/Olympus\n",
        "config.yaml:5 site.timezone: unknown time zone 'Mars/Olympus'",
        id="unknown-timezone",
    ),
    pytest.param(
        SITE + FEED_SOURCE.replace("type: feed", "type: rss"),
        "config.yaml:7 sources[0].type:",
        id="unknown-source-type",
    ),
    pytest.param(
        SITE + FEED_SOURCE.replace("name: a", "name: my source"),
        "config.yaml:6 sources[0].name: invalid source name 'my source'",
        id="bad-source-name",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "  - name: b\n    type: html\n    url: https://example.org/news\n",
        "config.yaml:9 sources[1].select: required for an html source",
        id="html-without-select",
    ),
    pytest.param(
        SITE + FEED_SOURCE + HTML_SOURCE_B.replace("      title: h3\n", ""),
        "config.yaml:12 sources[1].select.title: required for an html source",
        id="select-without-title",
    ),
    pytest.param(
        SITE + FEED_SOURCE + HTML_SOURCE_B.replace("item: article", "item: 'article[['"),
        "config.yaml:13 sources[1].select.item: invalid CSS selector 'article[['",
        id="bad-css-selector",
    ),
    pytest.param(
        SITE + FEED_SOURCE + HTML_SOURCE_B + "      link: 'h3 a@hr ef'\n",
        "config.yaml:15 sources[1].select.link: invalid attribute name 'hr ef'",
        id="bad-attribute-name",
    ),
    pytest.param(
        SITE + FEED_SOURCE + HTML_SOURCE_B.replace("item: article", "item: article@class"),
        "config.yaml:13 sources[1].select.item: the card selector 'article@class' must be a plain CSS",
        id="card-selector-with-attribute",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    every: 5 minutes\n",
        "config.yaml:9 sources[0].every: invalid duration '5 minutes'",
        id="bad-duration",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    every: 0m\n",
        "config.yaml:9 sources[0].every: invalid duration '0m'",
        id="zero-duration",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    cron: '61 * * * *'\n",
        "config.yaml:9 sources[0].cron: invalid cron expression '61 * * * *'",
        id="bad-cron",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    every: 30m\n    cron: '0 * * * *'\n",
        "config.yaml:10 sources[0].cron: give either every or cron, not both",
        id="every-and-cron",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "  - name: a\n    type: feed\n    url: https://example.org/other.xml\n",
        "config.yaml:9 sources[1].name: duplicate source name 'a'",
        id="duplicate-source-name",
    ),
    pytest.param(
        SITE + FEED_SOURCE.replace("    url: https://example.org/feed.xml\n", ""),
        "config.yaml:6 sources[0].url: required: give url or urls",
        id="source-without-url",
    ),
    pytest.param(
        SITE + FEED_SOURCE.replace("https://", "ftp://"),
        "config.yaml:8 sources[0].url: unsupported address 'ftp://example.org/feed.xml'",
        id="ftp-url",
    ),
    pytest.param(
        SITE + "categories:\n  - id: research\n" + FEED_SOURCE + "    category: sports\n",
        "config.yaml:11 sources[0].category: unknown category 'sports'",
        id="unknown-source-category",
    ),
    pytest.param(
        SITE + "categories:\n  - id: research\n  - id: press\n  - id: research\n",
        "config.yaml:8 categories[2].id: duplicate category id 'research'",
        id="duplicate-category-id",
    ),
    pytest.param(
        SITE + "categories:\n  - id: research\n    aliases: [Research]\n"
        "  - id: science\n    aliases: [Physics, '  RESEARCH ']\n",
        "config.yaml:9 categories[1].aliases: alias '  RESEARCH ' already names 'research'",
        id="alias-claimed-twice",
    ),
    pytest.param(
        SITE + "categories:\n  - id: research\n  - id: Company Innovation\n",
        "config.yaml:7 categories[1].id: invalid category id 'Company Innovation'",
        id="invalid-category-id",
    ),
    pytest.param(
        SITE + FEED_SOURCE + "    select:\n      item: article\n      title: h3\n",
        "config.yaml:9 sources[0].select: only html sources take select (type is feed)",
        id="select-on-feed-source",
    ),
]


@pytest.mark.parametrize(("text", "expected"), WRONG_CONFIGS)
def test_wrong_config_names_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(tmp_path, text)
    assert [p for p in problems if p.startswith(expected)], problems


def test_select_without_item_is_one_exact_line(tmp_path: Path) -> None:
    text = (
        SITE
        + FEED_SOURCE  # lines 1-8
        + "  - name: b\n    type: feed\n    url: https://example.org/b.xml\n"  # lines 9-11
        + "  - name: c\n    type: html\n    url: https://example.org/news\n"  # lines 12-14
        + "    select:\n      title: h3\n"  # lines 15-16
    )
    assert problems_of(tmp_path, text) == [
        "config.yaml:15 sources[2].select.item: required for an html source"
    ]


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    text = SITE + "max_entries: lots\n" + FEED_SOURCE + "    colour: blue\n"
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("config.yaml:5 max_entries:") for p in problems)
    assert any(p.startswith("config.yaml:10 sources[0].colour: unknown key") for p in problems)


def test_every_cross_key_problem_is_listed(tmp_path: Path) -> None:
    text = (
        SITE
        + FEED_SOURCE
        + "    every: 5m\n    cron: '0 * * * *'\n"  # lines 1-10
        + "  - name: a\n    type: feed\n    url: ftp://example.org/x\n"  # lines 11-13
    )
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("config.yaml:10 sources[0].cron:") for p in problems)
    assert any(p.startswith("config.yaml:11 sources[1].name: duplicate source name") for p in problems)
    assert any(p.startswith("config.yaml:13 sources[1].url: unsupported address") for p in problems)


def test_the_error_message_is_the_problem_lines(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, SITE + "colour: blue\nshape: round\n"))
    assert str(caught.value) == "config.yaml:5 colour: unknown key\nconfig.yaml:6 shape: unknown key"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.yaml")


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    file = tmp_path / "config.yaml"
    file.write_bytes(SITE.replace("News", "Actualit\xe9s").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(file)


def test_duplicate_key_is_reported_not_silently_replaced(tmp_path: Path) -> None:
    text = SITE + FEED_SOURCE + "sources:\n  - name: b\n    type: feed\n    url: https://example.org/b.xml\n"
    problems = problems_of(tmp_path, text)
    assert [p for p in problems if p.startswith("config.yaml:9 sources: duplicate key")], problems


def test_duplicate_key_inside_a_source_is_reported(tmp_path: Path) -> None:
    text = SITE + FEED_SOURCE + "    url: https://example.org/other.xml\n"
    problems = problems_of(tmp_path, text)
    assert [p for p in problems if p.startswith("config.yaml:9 sources[0].url: duplicate key")], problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            SITE + FEED_SOURCE + "    evrey: 30m\n",
            "config.yaml:9 sources[0].evrey: unknown key; did you mean 'every'?",
        ),
        (
            SITE + "  timezon: Europe/Paris\n",
            "config.yaml:5 site.timezon: unknown key; did you mean 'timezone'?",
        ),
        (SITE + "fetch:\n  worker: 4\n", "config.yaml:6 fetch.worker: unknown key; did you mean 'workers'?"),
        (
            SITE + FEED_SOURCE.replace("feed\n", "html\n") + "    select:\n      item: li\n      titel: h3\n",
            "config.yaml:11 sources[0].select.titel: unknown key; did you mean 'title'?",
        ),
        (SITE + FEED_SOURCE + "    colour: blue\n", "config.yaml:9 sources[0].colour: unknown key"),
    ],
    ids=["source", "site", "fetch", "select", "nothing-alike"],
)
def test_unknown_key_suggests_the_nearest_known_one(tmp_path: Path, text: str, expected: str) -> None:
    problems = problems_of(tmp_path, text)
    assert expected in problems, problems


def test_a_wrong_selector_is_quoted_as_written(tmp_path: Path) -> None:
    text = SITE + FEED_SOURCE.replace("feed\n", "html\n") + "    select:\n      item: li\n      title: h3\n"
    (problem,) = problems_of(tmp_path, text + "      link: a@@href\n")
    assert problem.startswith("config.yaml:12 sources[0].select.link: invalid CSS selector 'a@@href': ")


def test_path_key_is_unknown(tmp_path: Path) -> None:
    assert problems_of(tmp_path, SITE + "path: /srv/feeds\n") == ["config.yaml:5 path: unknown key"]


def test_type_errors_and_cross_key_problems_come_in_one_round(tmp_path: Path) -> None:
    text = (
        "site:\n  title: T\n  url: https://n.example/\n  author: A\n"
        "max_entries: lots\n"
        "sources:\n"
        "  - name: a\n    type: html\n    url: https://e.example/\n    select:\n      title: h3\n"
        "  - name: b\n    type: feed\n    url: ftp://e.example/f\n    category: nowhere\n"
    )
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.yaml")
    problems = caught.value.problems
    assert any(p.startswith("config.yaml:5 max_entries:") for p in problems)
    assert "config.yaml:10 sources[0].select.item: required for an html source" in problems
    assert any(p.startswith("config.yaml:14 sources[1].url: unsupported address") for p in problems)
    assert any(
        p.startswith("config.yaml:15 sources[1].category: unknown category 'nowhere'") for p in problems
    )


@pytest.mark.parametrize("port", ["0", "99999", "-1"])
def test_a_serve_port_outside_1_to_65535_is_refused(tmp_path: Path, port: str) -> None:
    (problem,) = problems_of(tmp_path, SITE + FEED_SOURCE + f"serve:\n  port: {port}\n")
    assert problem.startswith(f"config.yaml:{len((SITE + FEED_SOURCE).splitlines()) + 2} serve.port:")
