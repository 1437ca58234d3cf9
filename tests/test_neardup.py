"""Near-duplicate detection: the labelled evaluation set, the vetoes, and the store's behaviour."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer

from newsdesk.config import load_config
from newsdesk.dedup.decide import DedupPolicy
from newsdesk.dedup.near import Features, NearIndex, Settings, judge, name_runs, signature, translation
from newsdesk.models import Item
from newsdesk.pipeline import open_store, run
from newsdesk.store import Store

from helpers import FIXTURES, card, html_source, make_item, page, write_config

EVALUATION = FIXTURES.parent / "data" / "near_duplicates.jsonl"


@pytest.fixture
def database(any_database: str) -> str:
    """The store tests below run on every backend."""
    return any_database


def features(item: dict) -> Features:
    published = date.fromisoformat(item["published"]) if item.get("published") else None
    return Features.of(item["title"], item["summary"], item["language"], published)


@dataclass
class Scores:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0

    @property
    def precision(self) -> float:
        return self.true_positive / max(1, self.true_positive + self.false_positive)

    @property
    def recall(self) -> float:
        return self.true_positive / max(1, self.true_positive + self.false_negative)


def evaluate() -> tuple[Scores, list[str]]:
    """Every pair through the whole path a new item takes: LSH candidates, then the judge."""
    pairs = [json.loads(line) for line in EVALUATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores, mistakes = Scores(), []
    for pair in pairs:
        index = NearIndex()
        index.add(1, signature(pair["a"]["title"], pair["a"]["summary"]))
        candidate = 1 in index.candidates(signature(pair["b"]["title"], pair["b"]["summary"]))
        verdict = judge(features(pair["b"]), features(pair["a"]))
        predicted = candidate and verdict.duplicate
        actual = pair["label"] == "duplicate"
        if predicted and actual:
            scores.true_positive += 1
        elif predicted:
            scores.false_positive += 1
            mistakes.append(f"false merge {pair['id']} ({pair['pattern']}): {verdict.rule}")
        elif actual:
            scores.false_negative += 1
            why = verdict.rule if candidate else "not an LSH candidate"
            mistakes.append(f"missed {pair['id']} ({pair['pattern']}): {why}")
        else:
            scores.true_negative += 1
    return scores, mistakes


def test_evaluation_set_is_large_and_bilingual() -> None:
    pairs = [json.loads(line) for line in EVALUATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(pairs) >= 300
    assert {p["label"] for p in pairs} >= {"duplicate", "distinct"}
    assert sum(p["a"]["language"] == "fr" for p in pairs) >= 100


def test_precision_and_recall_on_the_evaluation_set() -> None:
    scores, mistakes = evaluate()
    assert scores.precision >= 0.99, mistakes
    assert scores.recall >= 0.95, mistakes


def test_translations_are_never_merged() -> None:
    pairs = [json.loads(line) for line in EVALUATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    for pair in (p for p in pairs if p["label"] == "translation"):
        assert not judge(features(pair["a"]), features(pair["b"])).duplicate, pair["id"]


def make(title: str, summary: str = "", day: str | None = "2026-11-20", language: str = "en") -> Features:
    return Features.of(title, summary, language, date.fromisoformat(day) if day else None)


SUMMARY = (
    "The seminar brings together researchers from the mechanics and robotics departments to present "
    "their latest work on autonomous underwater vehicles and their navigation."
)


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        (
            make("Seminar #12: underwater robots", SUMMARY),
            make("Seminar #13: underwater robots", SUMMARY),
            "numbers",
        ),
        (make("Open day 2025", SUMMARY), make("Open day 2026", SUMMARY), "numbers"),
        (
            make("Webinar: AI and ships", SUMMARY, "2026-11-02"),
            make("Webinar: AI and ships", SUMMARY, "2026-11-30"),
            "dates",
        ),
        (make("Open day", SUMMARY, language="en"), make("Open day", SUMMARY, language="fr"), "language"),
    ],
)
def test_vetoes_keep_look_alikes_apart(a: Features, b: Features, rule: str) -> None:
    verdict = judge(a, b)
    assert not verdict.duplicate and rule in verdict.rule


def test_cut_summary_and_reworded_title_are_one_story() -> None:
    cut = make("What if we put wind turbines in the sky?", SUMMARY[:90] + "...")
    full = make(
        "Press release: wind turbines in the sky", SUMMARY + " The prototype flies in 2027.", "2026-11-21"
    )
    verdict = judge(cut, full)
    assert verdict.duplicate, verdict


def test_translation_needs_same_day_and_shared_names() -> None:
    en = make(
        "Venturix wins the Deeptech award",
        "ENSTA start-up Venturix, founded by Guillaume Desrocques, wins 2026 award.",
    )
    fr = make(
        "Venturix remporte le prix Deeptech",
        "La start-up de l'ENSTA Venturix, fondée par Guillaume Desrocques, remporte le prix 2026.",
        language="fr",
    )
    assert translation(en, fr).duplicate
    later = make(
        "Venturix remporte le prix", fr_summary := "Venturix et Guillaume Desrocques.", "2026-12-20", "fr"
    )
    assert fr_summary and not translation(en, later).duplicate


def test_translations_of_the_evaluation_set_are_linked_and_look_alikes_are_not() -> None:
    pairs = [json.loads(line) for line in EVALUATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    bilingual = [p for p in pairs if p["a"]["language"] != p["b"]["language"]]
    mistakes = []
    for pair in bilingual:
        verdict = translation(features(pair["a"]), features(pair["b"]))
        if verdict.duplicate != (pair["label"] == "translation"):
            mistakes.append(f"{pair['id']} {pair['label']}: {verdict.rule}")
    assert sum(p["label"] == "translation" for p in bilingual) >= 19
    assert sum(p["label"] != "translation" for p in bilingual) >= 9  # same day, one template, one site
    assert not mistakes


EXAMPLE_EN = (
    "With close to 7% of global CO₂ emissions coming from metallurgy, recycling metals is key to shrinking "
    "the sector's footprint. But how do you turn metal scrap into high-performance materials able to meet "
    "the needs of the..."
)
EXAMPLE_FR = (
    "Près de 7\u00a0% des émissions mondiales de CO₂ proviennent de la métallurgie\u00a0: recycler les "
    "métaux est donc indispensable pour réduire l'empreinte du secteur. Mais comment transformer des déchets "
    "métalliques en matériaux performants, capables de répondre aux besoins de..."
)


def test_a_translation_with_one_name_and_one_number_is_linked_by_its_cognates() -> None:
    """The example's metal-recycling pair: CO₂ and 7 % alone were too little; recycling ~ recyclage,
    metallurgy ~ métallurgie, materials ~ matériaux say it is one text."""
    en = make("Metal recycling: towards greener and more efficient methods", EXAMPLE_EN, "2026-11-13")
    fr = make(
        "Recyclage des métaux\u00a0: vers des méthodes plus vertes et plus efficaces",
        EXAMPLE_FR,
        "2026-11-12",
        "fr",
    )
    verdict = translation(en, fr)
    assert verdict.duplicate and "(7, co2)" in verdict.rule, verdict


@pytest.mark.parametrize(
    ("en", "fr", "rule"),
    [
        (
            make(
                "Control Lab Seminar #12: drone swarms", "The seminar welcomes Claire Bertin on 13 November."
            ),
            make(
                "Séminaire n°13 : essaims de drones",
                "Le séminaire accueille Claire Bertin le 13 novembre.",
                language="fr",
            ),
            "different numbers in titles",
        ),
        (
            make(
                "Control Lab Seminar: drone swarms", "The control seminar welcomes Claire Bertin on Thursday."
            ),
            make(
                "Séminaire : essaims de drones",
                "Le séminaire de contrôle accueille Nicolas Fabre jeudi.",
                language="fr",
            ),
            "different names (claire bertin / nicolas fabre)",
        ),
        (
            make("Venturix wins the award", "ENSTA start-up Venturix wins the 2026 award."),
            make(
                "Venturix remporte le prix",
                "La start-up de l'ENSTA Venturix remporte le prix 2026.",
                "2026-11-23",
                "fr",
            ),
            "different days",
        ),
    ],
)
def test_translation_vetoes(en: Features, fr: Features, rule: str) -> None:
    verdict = translation(en, fr)
    assert not verdict.duplicate and verdict.rule == rule


def test_names_are_read_as_a_reader_would() -> None:
    """A French elision opens a name ("L'École"); a sentence's first word or an English month does not."""
    text = "L'École de chimie accueille Claire Bertin le 13 November. Elle présente Port-Lénan."
    assert name_runs(text) == [("ecole",), ("claire", "bertin"), ("port-lenan",)]


# --- in the store -------------------------------------------------------------------------------

CUT = (
    "Researchers of the ocean engineering unit have inaugurated a 12 m test tank on the Brest campus, "
    "lined with anechoic tiles, to calibrate hydrophones and study how ship noise..."
)
FULL = (
    "Researchers of the ocean engineering unit have inaugurated a 12 m test tank on the Brest campus, "
    "lined with anechoic tiles, to calibrate hydrophones and study how ship noise affects marine life. "
    "The tank is open to industrial partners from January."
)


@pytest.fixture
def two_sites(httpserver: HTTPServer, tmp_path: Path):
    httpserver.expect_request("/school/").respond_with_data(
        page(
            card(
                "A new test tank to listen to the ocean",
                "/school/news/tank",
                summary=CUT,
                date="2026-11-20T10:00:00Z",
            )
        ),
        content_type="text/html",
    )
    httpserver.expect_request("/institute/").respond_with_data(
        page(
            card(
                "Underwater acoustics: a new test tank to listen to the ocean",
                "/institute/actualites/acoustics-tank",
                summary=FULL,
                label="Company | Innovation",
                date="2026-11-21T08:00:00Z",
            )
        ),
        content_type="text/html",
    )
    sources = html_source("school", [httpserver.url_for("/school/")]) + html_source(
        "institute", [httpserver.url_for("/institute/")]
    )
    return tmp_path, sources, httpserver


def test_same_story_from_two_sites_is_one_entry_with_the_richest_fields(two_sites, clock, database) -> None:
    folder, sources, server = two_sites
    config = load_config(write_config(folder, sources, database=database))
    run(config, now=clock)
    entries = feedparser.parse((config.output_dir / "all.atom").read_bytes()).entries
    assert len(entries) == 1
    (entry,) = entries
    links = {server.url_for("/school/news/tank"), server.url_for("/institute/actualites/acoustics-tank")}
    # The first source by name keeps its id and link, however the sources' fetches finish.
    assert entry.link == server.url_for("/institute/actualites/acoustics-tank")
    assert entry.summary == FULL  # the full summary wins
    assert {t.term for t in entry.tags} == {"research", "company/innovation"}
    store = open_store(config, clock())
    try:
        (group,) = store.merge_groups()
    finally:
        store.close()
    (merged,) = group["merged"]
    assert {group["url"], merged["url"]} == links
    assert merged["score"] >= 0.62 and "summary overlap" in merged["rule"]


def test_never_merge_splits_at_the_next_publish_and_always_merge_joins(two_sites, clock, database) -> None:
    folder, sources, server = two_sites
    run(load_config(write_config(folder, sources, database=database)), now=clock)
    a, b = server.url_for("/school/news/tank"), server.url_for("/institute/actualites/acoustics-tank")
    split = load_config(
        write_config(folder, sources, database=database, extra=f"dedup:\n  never_merge: [['{a}', '{b}']]\n")
    )
    run(split, now=clock)
    links = {e.link for e in feedparser.parse((split.output_dir / "all.atom").read_bytes()).entries}
    assert links == {a, b}
    joined = load_config(
        write_config(
            folder,
            sources,
            database=database,
            extra=f"dedup:\n  near: false\n  always_merge: [['{a}', '{b}']]\n",
        )
    )
    run(joined, now=clock)
    links = {e.link for e in feedparser.parse((joined.output_dir / "all.atom").read_bytes()).entries}
    assert len(links) == 1 and links <= {a, b}  # the older row is kept


def test_dupes_command_lists_groups(two_sites, clock, database) -> None:
    import subprocess
    import sys

    folder, sources, _ = two_sites
    config_file = write_config(folder, sources, database=database)
    run(load_config(config_file), now=clock)
    newsdesk = str(Path(sys.executable).parent / "newsdesk")
    result = subprocess.run(
        [newsdesk, "dupes", "--json", "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (group,) = json.loads(result.stdout)
    titles = {
        "A new test tank to listen to the ocean",
        "Underwater acoustics: a new test tank to listen to the ocean",
    }
    assert group["title"] in titles and group["merged"][0]["title"] in titles
    assert (
        group["title"] == "Underwater acoustics: a new test tank to listen to the ocean"
    )  # owner of the full text
    text = subprocess.run(
        [newsdesk, "dupes", "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    assert "  = " in text and "score" in text


def _story(n: int, title: str, summary: str, published: datetime, source: str = "s") -> Item:
    return make_item(
        n,
        source=source,
        url=f"https://{source}.example.org/news/{n}",
        title=title,
        summary_html=summary,
        summary_text=summary,
        categories=("research",),
        published=published,
    )


def test_the_index_holds_the_window_and_older_stories_are_still_matched(database: str) -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    store = Store(database, site_host="news.example.org")
    store.create(now)
    archived = datetime(2025, 3, 1, 9, tzinfo=UTC)  # a feed's archive, read late
    store.record_refresh(
        "s",
        [
            _story(1, "Underwater acoustics: a new test tank to listen to the ocean", FULL, archived),
            _story(2, "The library opens late on Fridays", "From December the library stays open.", now),
        ],
        page_counts={},
        now=now,
    )
    with store.db.read() as conn:
        assert len(store.near.index(conn, now)) == 1  # the recent story only
    copy = _story(3, "A new test tank to listen to the ocean", CUT, archived + timedelta(days=1), "other")
    store.record_refresh("other", [copy], page_counts={}, now=now)
    (group,) = store.merge_groups()  # compared with the stored stories of its own dates
    assert group["url"] == "https://s.example.org/news/1"
    with store.db.read() as conn:
        assert len(store.near.index(conn, now + timedelta(days=60))) == 0  # the window moved on
    store.close()


def test_a_story_another_process_stored_is_recognised_as_a_near_duplicate(database: str) -> None:
    """Two stores on one database stand for two processes: each index catches up with the other's writes."""
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    day = datetime(2026, 11, 20, 9, tzinfo=UTC)
    school, institute = (Store(database, site_host="news.example.org") for _ in range(2))
    try:
        school.create(now)
        institute.create(now)
        library = _story(1, "The library opens late on Fridays", "From December the library stays open.", day)
        institute.record_refresh("institute", [library], page_counts={}, now=now)  # its index is built
        full = _story(2, "Underwater acoustics: a new test tank to listen to the ocean", FULL, day, "school")
        school.record_refresh("school", [full], page_counts={}, now=now)
        cut = _story(3, "A new test tank to listen to the ocean", CUT, day, "institute")
        result = institute.record_refresh("institute", [cut], page_counts={}, now=now)
        assert result.new == 0  # not a new story: the school's, stored by the other process
        (group,) = institute.merge_groups()
        assert group["url"] == "https://school.example.org/news/2"
        assert [r.url for r in school.latest_items(None, 10)] == [  # one date, one moment: stored order
            "https://s.example.org/news/1",
            "https://school.example.org/news/2",
        ]
    finally:
        school.close()
        institute.close()


def test_a_forced_merge_by_another_process_rebuilds_this_index(database: str) -> None:
    """Which stories are published changed elsewhere: this process's index must not keep the old view."""
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    day = datetime(2026, 11, 20, 9, tzinfo=UTC)
    library = _story(1, "The library opens late on Fridays", "From December the library stays open.", day)
    tank = _story(2, "Underwater acoustics: a new test tank to listen to the ocean", FULL, day, "school")
    forcing = DedupPolicy.from_pairs(
        enabled=True, settings=Settings(), never_merge=[], always_merge=[[library.url, tank.url]]
    )
    merger, other = (
        Store(database, site_host="news.example.org", dedup=forcing),
        Store(database, site_host="news.example.org"),
    )
    try:
        merger.create(now)
        merger.record_refresh("s", [library, tank], page_counts={}, now=now)
        other.record_refresh("x", [], page_counts={}, now=now)
        with other.db.read() as conn:
            assert len(other.near.index(conn, now)) == 2
        assert merger.apply_merge_overrides(now)  # the tank story is folded into the library one
        with other.db.read() as conn:
            assert len(other.near.index(conn, now)) == 1  # built anew: only published stories
    finally:
        merger.close()
        other.close()
