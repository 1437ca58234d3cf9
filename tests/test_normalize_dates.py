"""parse_date: every date text a site writes -> the aware UTC moment it names, or None."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsdesk.normalize.dates import parse_date

# A Wednesday, 13:00 in Paris.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PARIS = "Europe/Paris"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse(text: str | None, language: str = "en", timezone: str = PARIS) -> datetime | None:
    result = parse_date(text, language=language, now=NOW, timezone=timezone)
    if result is not None:
        assert result.tzinfo is not None
        assert result.utcoffset() == timedelta(0)
    return result


DATES = [
    # ISO 8601 with offsets, Z and none (then the site's time zone)
    ("2026-11-20T09:30:00+01:00", "en", "2026-11-20T08:30:00"),
    ("2026-11-20T09:30:00-05:00", "en", "2026-11-20T14:30:00"),
    ("2026-11-20T09:30:00+0100", "en", "2026-11-20T08:30:00"),
    ("2026-11-20T09:30:00Z", "en", "2026-11-20T09:30:00"),
    ("2026-11-20T09:30:00z", "en", "2026-11-20T09:30:00"),
    ("2026-11-20T09:30:00.250Z", "en", "2026-11-20T09:30:00.250"),
    ("2026-11-20T09:30:00.000+01:00", "fr", "2026-11-20T08:30:00"),
    ("2026-11-20T09:30:00", "en", "2026-11-20T08:30:00"),
    ("2026-11-20 09:30", "en", "2026-11-20T08:30:00"),
    ("2026-07-01T09:30:00", "en", "2026-07-01T07:30:00"),  # summer time in Paris
    ("  2026-11-20T09:30:00Z ", "en", "2026-11-20T09:30:00"),
    # date only: midnight in the site's time zone
    ("2026-11-20", "en", "2026-11-19T23:00:00"),
    ("2026-07-01", "fr", "2026-06-30T22:00:00"),
    # RFC 822 (RSS)
    ("Fri, 20 Nov 2026 09:30:00 +0100", "en", "2026-11-20T08:30:00"),
    ("Fri, 20 Nov 2026 09:30:00 +0000", "en", "2026-11-20T09:30:00"),
    ("Fri, 20 Nov 2026 09:30:00 GMT", "fr", "2026-11-20T09:30:00"),
    ("Fri, 20 Nov 2026 09:30:00 UT", "en", "2026-11-20T09:30:00"),
    ("Fri, 20 Nov 2026 09:30:00 EST", "en", "2026-11-20T14:30:00"),
    ("Fri, 20 Nov 2026 09:30 +0100", "en", "2026-11-20T08:30:00"),
    ("20 Nov 2026 09:30:00 +0100", "en", "2026-11-20T08:30:00"),
    ("Fri, 20 Nov 2026 09:30:00", "en", "2026-11-20T08:30:00"),  # no zone: the site's
    # unix timestamps, seconds and milliseconds
    ("1795167000", "en", "2026-11-20T09:30:00"),
    ("1795167000123", "en", "2026-11-20T09:30:00.123"),
    # English text dates (midnight in Paris)
    ("20 November 2026", "en", "2026-11-19T23:00:00"),
    ("November 20, 2026", "en", "2026-11-19T23:00:00"),
    ("Nov 5, 2026", "en", "2026-11-04T23:00:00"),
    ("Nov. 5, 2026", "en", "2026-11-04T23:00:00"),
    ("November 5th, 2026", "en", "2026-11-04T23:00:00"),
    ("Thursday, November 5, 2026", "en", "2026-11-04T23:00:00"),
    ("  20  November\n 2026 ", "en", "2026-11-19T23:00:00"),
    ("Published on 20 November 2026", "en", "2026-11-19T23:00:00"),
    ("20 November 2026, 9:30 am", "en", "2026-11-20T08:30:00"),
    ("20/11/2026", "en", "2026-11-19T23:00:00"),
    ("Nov 20", "en", "2026-11-19T23:00:00"),  # no year: this year, it is in the past
    ("December 3", "en", "2025-12-02T23:00:00"),  # no year: last year, not next week
    # French text dates
    ("10 novembre 2026", "fr", "2026-11-09T23:00:00"),
    ("1er décembre 2026", "fr", "2026-11-30T23:00:00"),
    ("mardi 3 mars 2026", "fr", "2026-03-02T23:00:00"),
    ("Publié le 10 novembre 2026", "fr", "2026-11-09T23:00:00"),
    ("20 nov. 2026", "fr", "2026-11-19T23:00:00"),
    ("mercredi 25 novembre 2026 à 14h30", "fr", "2026-11-25T13:30:00"),
    ("20 novembre 2026 - 09h30", "fr", "2026-11-20T08:30:00"),
    ("20/11/2026", "fr", "2026-11-19T23:00:00"),
    ("10 novembre 2026", "en", "2026-11-09T23:00:00"),  # a French date on an English source
    # relative dates, from NOW
    ("3 days ago", "en", "2026-11-21T23:00:00"),  # a day without a time: midnight in Paris
    ("5 minutes ago", "en", "2026-11-25T11:55:00"),
    ("an hour ago", "en", "2026-11-25T11:00:00"),
    ("2 weeks ago", "en", "2026-11-10T23:00:00"),
    ("yesterday", "en", "2026-11-23T23:00:00"),
    ("today", "en", "2026-11-24T23:00:00"),
    ("il y a 2 heures", "fr", "2026-11-25T10:00:00"),
    ("Il y a 3 jours", "fr", "2026-11-21T23:00:00"),
    ("il y a 5 min", "fr", "2026-11-25T11:55:00"),
    ("hier", "fr", "2026-11-23T23:00:00"),
    ("avant-hier", "fr", "2026-11-22T23:00:00"),
    ("aujourd'hui", "fr", "2026-11-24T23:00:00"),
    ("hier", "en", "2026-11-23T23:00:00"),  # French words understood on an English source
    # German (Paris time zone: midnight is 23:00 UTC the day before in winter, 22:00 in summer)
    ("14. März 2023", "de", "2023-03-13T23:00:00"),
    ("5. September 2023", "de", "2023-09-04T22:00:00"),
    ("05.09.2023", "de", "2023-09-04T22:00:00"),
    ("5.9.2023", "de", "2023-09-04T22:00:00"),
    ("Mi., 25. Nov. 2026", "de", "2026-11-24T23:00:00"),
    ("Mittwoch, 25. November 2026", "de", "2026-11-24T23:00:00"),
    ("25. November 2026, 14:30 Uhr", "de", "2026-11-25T13:30:00"),
    ("1. Dez. 2025", "de", "2025-11-30T23:00:00"),
    ("Veröffentlicht am 3. Juni 2024", "de", "2024-06-02T22:00:00"),
    ("vor 5 Tagen", "de", "2026-11-19T23:00:00"),
    ("vor 2 Stunden", "de", "2026-11-25T10:00:00"),
    ("gestern", "de", "2026-11-23T23:00:00"),
    ("heute", "de", "2026-11-24T23:00:00"),
    ("vorgestern", "de", "2026-11-22T23:00:00"),
    ("03/04/2024", "de", "2024-04-02T22:00:00"),
    # Spanish
    ("3 de mayo de 2024", "es", "2024-05-02T22:00:00"),
    ("25 de noviembre de 2026", "es", "2026-11-24T23:00:00"),
    ("miércoles, 25 de noviembre de 2026", "es", "2026-11-24T23:00:00"),
    ("25 nov. 2026", "es", "2026-11-24T23:00:00"),
    ("1 de enero de 2026", "es", "2025-12-31T23:00:00"),
    ("Publicado el 3 de mayo de 2024", "es", "2024-05-02T22:00:00"),
    ("hace 3 días", "es", "2026-11-21T23:00:00"),
    ("hace 2 horas", "es", "2026-11-25T10:00:00"),
    ("ayer", "es", "2026-11-23T23:00:00"),
    ("03/04/2024", "es", "2024-04-02T22:00:00"),
    # Italian
    ("14 marzo 2024", "it", "2024-03-13T23:00:00"),
    ("25 novembre 2026", "it", "2026-11-24T23:00:00"),
    ("mercoledì 25 novembre 2026", "it", "2026-11-24T23:00:00"),
    ("1 gennaio 2026", "it", "2025-12-31T23:00:00"),
    ("25 nov 2026", "it", "2026-11-24T23:00:00"),
    ("Pubblicato il 14 marzo 2024", "it", "2024-03-13T23:00:00"),
    ("3 giorni fa", "it", "2026-11-21T23:00:00"),
    ("2 ore fa", "it", "2026-11-25T10:00:00"),
    ("ieri", "it", "2026-11-23T23:00:00"),
    ("03/04/2024", "it", "2024-04-02T22:00:00"),
    # English variants
    ("Sep 5, 2023", "en", "2023-09-04T22:00:00"),
    ("Sept. 5, 2023", "en", "2023-09-04T22:00:00"),
    ("5 September 2023", "en", "2023-09-04T22:00:00"),
    ("Tuesday, 5 September 2023", "en", "2023-09-04T22:00:00"),
    ("Sep 5, 2023 | News", "en", "2023-09-04T22:00:00"),
    ("Posted on March 3, 2024 by admin", "en", "2024-03-02T23:00:00"),
    ("03/04/2024", "en", "2024-03-03T23:00:00"),  # en-US: month first
    ("1700000000", "en", "2023-11-14T22:13:20"),
    ("1700000000000", "en", "2023-11-14T22:13:20"),
    # French variants
    ("Mar. 7 nov. 2023", "fr", "2023-11-06T23:00:00"),
    ("le 12 mars 2023", "fr", "2023-03-11T23:00:00"),
    ("Publié le 3 mars 2024 par la mairie", "fr", "2024-03-02T23:00:00"),
    ("12 juil. 2024", "fr", "2024-07-11T22:00:00"),
    ("03/04/2024", "fr", "2024-04-02T22:00:00"),
]


@pytest.mark.parametrize(("text", "language", "expected"), DATES)
def test_parse_date(text: str, language: str, expected: str) -> None:
    assert parse(text, language) == utc(expected)


NOT_DATES = [
    None,
    "",
    "   ",
    "Seminar #12",
    "Seminar #3",
    "Séminaire n°12",
    "Research",
    "Recherche",
    "Research & Innovation",
    "Read more",
    "Lire la suite",
    "2026",
    "12",
    "#12",
    "Room 12",
    "Room 4.12",
    "Episode 3",
    "Class of 2026",
    "Version 2.0",
    "12 students",
    "Monday",
    "2026-02-30",
    "2026-11-20T25:00:00Z",
    "Nov 31, 2026",
    "99999999999",
]


@pytest.mark.parametrize("text", NOT_DATES)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_text_that_names_no_date_gives_none(text: str | None, language: str) -> None:
    assert parse(text, language) is None


def test_timezone_defaults_to_utc() -> None:
    assert parse_date("2026-11-20", language="en", now=NOW) == utc("2026-11-20T00:00:00")
    assert parse_date("20 November 2026 09:30", language="en", now=NOW) == utc("2026-11-20T09:30:00")


def test_an_explicit_offset_wins_over_the_site_timezone() -> None:
    for zone in ("UTC", PARIS, "America/New_York", "Asia/Tokyo"):
        assert parse("2026-11-20T09:30:00+01:00", timezone=zone) == utc("2026-11-20T08:30:00")


def test_date_only_is_midnight_in_each_site_timezone() -> None:
    assert parse("2026-11-20", timezone="America/New_York") == utc("2026-11-20T05:00:00")
    assert parse("2026-11-20", timezone="Asia/Tokyo") == utc("2026-11-19T15:00:00")


def test_relative_dates_follow_now() -> None:
    later = NOW + timedelta(days=40)  # 2027-01-04T12:00Z
    assert parse_date("3 days ago", language="en", now=later, timezone=PARIS) == utc("2026-12-31T23:00:00")
    assert parse_date("hier", language="fr", now=later, timezone=PARIS) == utc("2027-01-02T23:00:00")
    assert parse_date("il y a 2 heures", language="fr", now=later, timezone=PARIS) == later - timedelta(
        hours=2
    )


def test_regional_language_tag_is_understood() -> None:
    assert parse("il y a 2 heures", language="fr-FR") == utc("2026-11-25T10:00:00")
    assert parse("10 novembre 2026", language="fr-CA") == utc("2026-11-09T23:00:00")


def test_now_in_another_zone_gives_the_same_result() -> None:
    tokyo_now = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert parse_date("3 days ago", language="en", now=tokyo_now, timezone=PARIS) == utc(
        "2026-11-21T23:00:00"
    )


# --- behaviour a reader would call wrong --------------------------------------------------------


def test_rfc822_minus_zero_offset_is_utc() -> None:
    assert parse("Fri, 20 Nov 2026 09:30:00 -0000") == utc("2026-11-20T09:30:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("03/04/2026", "2026-04-02T22:00:00"), ("12/11/2026", "2026-11-11T23:00:00")],
)
def test_numeric_dates_on_a_french_source_are_day_first(text: str, expected: str) -> None:
    assert parse(text, "fr") == utc(expected)


def test_reading_time_label_is_not_a_date() -> None:
    assert parse("2 min read") is None
