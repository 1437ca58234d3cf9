"""The merge rules as pure functions over plain objects: identity, richest version, edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from newsdesk.dedup.identity import Change, collapse, content_hash, identity_keys, merge
from newsdesk.models import Item

T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOST = "news.example.org"
CUT = "Generating renewable electricity at an altitude of 1,000 meters using airships, winner of..."
FULL = (
    "Generating renewable electricity at an altitude of 1,000 meters using airships, winner of the "
    "regional innovation award, is now preparing its first demonstrator."
)


def item(**fields) -> Item:
    base = {
        "source": "site-en",
        "url": "https://www.example.org/news/wind",
        "title": "What if we put wind turbines in the sky?",
        "summary_html": CUT,
        "summary_text": CUT,
        "categories": ("company/innovation",),
        "published": None,
        "image": None,
        "language": "en",
    }
    base.update(fields)
    return Item(**base)


def test_new_item_gets_a_stable_tag_id_and_first_seen_as_published() -> None:
    outcome = merge(None, item(), now=NOW, site_host=HOST)
    assert outcome.change is Change.NEW
    record = outcome.record
    assert record.entry_id.startswith("tag:news.example.org,2026-11-29:")
    assert record.published == NOW and not record.date_from_source
    assert record.updated == NOW
    again = merge(None, item(), now=NOW, site_host=HOST).record
    assert again.entry_id == record.entry_id  # same story, same id, whatever the run


def test_source_date_is_published_and_updated() -> None:
    record = merge(None, item(published=T0), now=NOW, site_host=HOST).record
    assert record.published == T0 and record.updated == T0 and record.date_from_source


def test_same_sighting_again_is_unchanged() -> None:
    stored = merge(None, item(published=T0), now=NOW, site_host=HOST).record
    outcome = merge(stored, item(published=T0), now=NOW + timedelta(hours=1), site_host=HOST)
    assert outcome.change is Change.UNCHANGED
    assert outcome.record == stored


def test_full_summary_from_another_source_beats_the_cut_one() -> None:
    stored = merge(None, item(published=T0), now=NOW, site_host=HOST).record
    rss = item(source="press", summary_html=FULL, summary_text=FULL, categories=("research",))
    outcome = merge(stored, rss, now=NOW + timedelta(hours=1), site_host=HOST)
    assert outcome.change is Change.UPDATED
    record = outcome.record
    assert record.summary_text == FULL
    assert record.entry_id == stored.entry_id and record.published == T0
    assert record.categories == ("company/innovation", "research")
    assert record.content_source == "press"
    assert set(record.sources) == {"site-en", "press"}
    # the cut version seen again later does not take the summary back
    back = merge(record, item(), now=NOW + timedelta(hours=2), site_host=HOST)
    assert back.change is Change.UNCHANGED and back.record.summary_text == FULL


def test_source_date_beats_none_and_first_seen_is_kept() -> None:
    stored = merge(None, item(), now=NOW, site_host=HOST).record
    dated = merge(stored, item(source="press", published=T0), now=NOW + timedelta(hours=1), site_host=HOST)
    assert dated.record.published == T0 and dated.record.date_from_source
    assert dated.record.first_seen == NOW


def test_edit_at_the_owning_source_keeps_id_and_published_and_moves_updated() -> None:
    stored = merge(
        None, item(published=T0, summary_html=FULL, summary_text=FULL), now=NOW, site_host=HOST
    ).record
    later = NOW + timedelta(days=1)
    edited = item(
        published=T0,
        title="What if we put wind turbines in the sky? (updated)",
        summary_html=FULL,
        summary_text=FULL,
    )
    outcome = merge(stored, edited, now=later, site_host=HOST)
    assert outcome.change is Change.UPDATED
    assert outcome.record.title.endswith("(updated)")
    assert outcome.record.entry_id == stored.entry_id
    assert outcome.record.published == T0
    assert outcome.record.updated == later


def test_another_sources_different_title_does_not_flip_flop() -> None:
    stored = merge(None, item(published=T0), now=NOW, site_host=HOST).record
    other = item(source="partner", title="Wind turbines in the sky, by Venturix")
    outcome = merge(stored, other, now=NOW + timedelta(hours=1), site_host=HOST)
    assert outcome.record.title == stored.title
    assert outcome.change is Change.UNCHANGED


def test_identity_keys() -> None:
    assert identity_keys(item())[0] == "url:https://www.example.org/news/wind"
    assert any(key.startswith("text:") for key in identity_keys(item(published=T0)))
    assert not any(key.startswith("text:") for key in identity_keys(item()))
    short = item(url=None, summary_text="Read it.", summary_html="Read it.")
    (key,) = identity_keys(short)
    assert key.startswith("card:")
    assert identity_keys(short) == identity_keys(replace(short, rank=7))
    assert identity_keys(replace(short, source="other")) != identity_keys(short)


def test_same_long_text_under_two_urls_is_one_story_but_short_templates_are_not() -> None:
    a = item(url="https://a.example/story", published=T0)
    b = item(url="https://b.example/other-path", source="partner", published=T0 + timedelta(hours=2))
    assert len(collapse([a, b])) == 1
    next_week = item(url="https://a.example/story-2", published=T0 + timedelta(days=7))
    assert len(collapse([a, next_week])) == 2  # a series repeating its teaser: two events
    undated = item(url="https://c.example/x")
    assert len(collapse([a, undated])) == 2  # no day to compare: the address decides
    teaser = "Read the latest issue of our newsletter."
    n1 = item(url="https://a.example/nl/1", title="Newsletter", summary_text=teaser, summary_html=teaser)
    n2 = item(url="https://a.example/nl/2", title="Newsletter", summary_text=teaser, summary_html=teaser)
    assert len(collapse([n1, n2])) == 2


def test_collapse_merges_carousel_clones_and_keeps_order() -> None:
    first = item()
    second = item(url="https://www.example.org/news/other", title="Other", summary_text="x", summary_html="x")
    merged = collapse([first, second, first, second])
    assert [m.url for m in merged] == [first.url, second.url]


def test_collapse_prefers_full_summary_and_unites_categories() -> None:
    cut = item()
    full = item(summary_text=FULL, summary_html=FULL, categories=("research",), published=T0)
    (merged,) = collapse([cut, full])
    assert merged.summary_text == FULL
    assert merged.categories == ("company/innovation", "research")
    assert merged.published == T0


def test_content_hash_ignores_empty_fields_and_bookkeeping() -> None:
    record = merge(None, item(published=T0), now=NOW, site_host=HOST).record
    assert content_hash(replace(record, sources=("a", "b"), keys=("x",))) == record.content_hash
    assert content_hash(replace(record, title="Other")) != record.content_hash
    assert record.content_hash.startswith("1")
