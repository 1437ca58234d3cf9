"""The pure decision between lookup and apply: one table, each row a situation a maintainer would name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from newsdesk.dedup.decide import Candidate, DedupPolicy, Facts, FoldInto, Insert, Keep, Update, decide
from newsdesk.dedup.identity import Change, new_record
from newsdesk.models import Item, StoredItem

from helpers import make_item

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOST = "news.example.org"
FULL = (
    "Researchers of the ocean engineering unit have inaugurated a 12 m test tank on the Brest campus, "
    "lined with anechoic tiles, to calibrate hydrophones and study how ship noise affects marine life."
)
CUT = FULL[:120] + "..."
TANK = "Underwater acoustics: a new test tank to listen to the ocean"
FRENCH = (
    "Les chercheurs de l'unité d'ingénierie océanique ont inauguré un bassin de 12 m sur le campus de Brest, "
    "avec Thales et Naval Group, pour étalonner des hydrophones."
)
ENGLISH_NAMES = (
    "Researchers of the ocean engineering unit inaugurated a 12 m tank on the Brest campus, "
    "with Thales and Naval Group, to calibrate hydrophones."
)


def story(n: int, **fields: object) -> Item:
    base: dict[str, object] = {
        "url": f"https://school.example.org/news/{n}",
        "title": TANK,
        "summary_html": FULL,
        "summary_text": FULL,
        "published": DAY,
        "categories": ("research",),
    }
    base.update(fields)
    return make_item(n, **base)


def stored(item: Item, row_id: int, **fields: object) -> StoredItem:
    return replace(new_record(item, now=NOW, site_host=HOST), row_id=row_id, **fields)  # type: ignore[arg-type]


def candidate(row_id: int, item: Item) -> Candidate:
    assert item.published is not None
    return Candidate(
        row_id, item.url, item.title, item.summary_text, item.language, item.published, date_from_source=True
    )


SEEN = story(1)
REWORDED = story(
    2, url="https://institute.example.org/a/tank", title="A new test tank to listen to the ocean"
)
CUT_COPY = story(3, url="https://press.example.org/tank", summary_html=CUT, summary_text=CUT, source="press")
OTHER_STORY = story(
    4, title="The library opens late on Fridays", summary_html="Open till 22h.", summary_text="x"
)
FR = story(
    5,
    url="https://school.example.org/fr/5",
    title="Un bassin pour écouter l'océan",
    summary_text=FRENCH,
    summary_html=FRENCH,
    language="fr",
)
EN = story(6, url="https://school.example.org/en/6", summary_text=ENGLISH_NAMES, summary_html=ENGLISH_NAMES)
ON = DedupPolicy()
OFF = DedupPolicy(enabled=False)
SPLIT = DedupPolicy(never_merge=frozenset({frozenset({REWORDED.url, SEEN.url})}))

CASES = [
    # (why, incoming item, what the store holds, policy, expected intent kind, expected details)
    ("a first sighting is a new story", SEEN, Facts(), ON, Insert, {"translations": 0}),
    (
        "the same card again changes nothing",
        SEEN,
        Facts(stored(SEEN, 1)),
        ON,
        Keep,
        {"change": Change.UNCHANGED},
    ),
    (
        "a fuller summary under the same URL updates the stored row",
        replace(SEEN, source="press"),
        Facts(stored(replace(SEEN, summary_html=CUT, summary_text=CUT), 1, first_seen=YESTERDAY)),
        ON,
        Update,
        {"change": Change.UPDATED},
    ),
    (
        "a fuller summary for a story first stored earlier in this run leaves it new: no reader saw it",
        replace(SEEN, source="press"),
        Facts(stored(replace(SEEN, summary_html=CUT, summary_text=CUT), 1)),
        ON,
        Update,
        {"change": Change.NEW},
    ),
    (
        "a known sighting of a merged story folds into that story, its own row unchanged",
        REWORDED,
        Facts(stored(REWORDED, 8, duplicate_of=1)),
        ON,
        FoldInto,
        {"story_id": 1, "sighting": None, "verdict": None},
    ),
    (
        "the same story reworded at another URL folds into the stored one",
        REWORDED,
        Facts(candidates=(candidate(1, SEEN),)),
        ON,
        FoldInto,
        {"story_id": 1, "merged": True},
    ),
    (
        "a cut copy from a press feed folds into the full story",
        CUT_COPY,
        Facts(candidates=(candidate(1, SEEN), candidate(4, OTHER_STORY))),
        ON,
        FoldInto,
        {"story_id": 1, "merged": True},
    ),
    (
        "of two equal candidates the older story wins, whatever order the rows came in",
        REWORDED,
        Facts(candidates=(candidate(9, SEEN), candidate(3, SEEN))),
        ON,
        FoldInto,
        {"story_id": 3, "merged": True},
    ),
    (
        "never_merge keeps the pair apart",
        REWORDED,
        Facts(candidates=(candidate(1, SEEN),)),
        SPLIT,
        Insert,
        {"translations": 0},
    ),
    (
        "with near-duplicates off only exact identity counts",
        REWORDED,
        Facts(candidates=(candidate(1, SEEN),)),
        OFF,
        Insert,
        {"translations": 0},
    ),
    (
        "a different story among the candidates is not a duplicate",
        OTHER_STORY,
        Facts(candidates=(candidate(1, SEEN),)),
        ON,
        Insert,
        {"translations": 0},
    ),
    (
        "the same news in French, the same day, is linked as a translation",
        FR,
        Facts(other_languages=(candidate(6, EN),)),
        ON,
        Insert,
        {"translations": 1, "linked": 6},
    ),
    (
        "an undated story is never linked as a translation",
        replace(FR, published=None),
        Facts(other_languages=(candidate(6, EN),)),
        ON,
        Insert,
        {"translations": 0},
    ),
]


@pytest.mark.parametrize(
    ("why", "item", "facts", "policy", "kind", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_decide(why: str, item: Item, facts: Facts, policy: DedupPolicy, kind: type, expected: dict) -> None:
    intent = decide(item, facts, now=NOW, site_host=HOST, policy=policy)
    assert isinstance(intent, kind), why
    if "change" in expected:
        assert intent.change is expected["change"]  # type: ignore[union-attr]
    if isinstance(intent, Insert):
        assert intent.record.row_id is None and intent.record.first_seen == NOW
        assert len(intent.translations) == expected["translations"]
        if "linked" in expected:
            assert intent.translations[0][0] == expected["linked"]
    if isinstance(intent, FoldInto):
        assert intent.story_id == expected["story_id"]
        if expected.get("merged"):
            assert intent.sighting is not None and intent.sighting.row_id is None  # its own row, unpublished
            assert intent.verdict is not None and intent.verdict.duplicate
        else:
            assert intent.sighting is expected["sighting"] and intent.verdict is expected["verdict"]


def test_the_same_facts_give_the_same_intent() -> None:
    """No clock, no randomness, no I/O: what makes any number of writers equal a serial run."""
    facts = Facts(candidates=(candidate(1, SEEN), candidate(4, OTHER_STORY)))
    first = decide(CUT_COPY, facts, now=NOW, site_host=HOST, policy=ON)
    shuffled = Facts(candidates=facts.candidates[::-1])
    assert decide(CUT_COPY, shuffled, now=NOW, site_host=HOST, policy=ON) == first
