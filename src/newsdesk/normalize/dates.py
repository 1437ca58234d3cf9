"""Date text -> aware UTC datetime: machine formats first (exact, fast), then dateparser for text dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{10}(\d{3})?$")
TEXT_LANGUAGES = ("en", "fr", "de", "es", "it")
# Words or figures that make a text name a moment in the day, not just a day.
TIME_OF_DAY = re.compile(
    r"\d{1,2}\s*[:h]\s*\d{2}|\d\s*(?:am|pm)\b|\b(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|now|just|"
    r"heures?|minutes?|secondes?|maintenant|instant|stunden?|minuten?|sekunden?|jetzt|horas?|minutos?|"
    r"segundos?|ahora|ore|ora|minuti|secondi|adesso|h)\b",
    re.IGNORECASE,
)
# "6 min read", "5 min de lecture", "Lesezeit: 4 Min.": how long to read, never when.
READING_TIME = re.compile(
    r"\b\d+\s*(?:min(?:ute)?s?|mins?)\.?\s*(?:read|de lecture|di lettura|de lectura|lesezeit|lesen)\b|"
    r"\b(?:reading time|temps de lecture|lesezeit):?\s*\d+\s*min\w*\.?",
    re.IGNORECASE,
)
# "2 min read", "5 h" on a card: a duration, not a moment, unless a word makes it relative.
DURATION_ONLY = re.compile(
    r"^\s*\d+\s*(?:s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?)\b(?!.*\b(?:ago|il y a)\b)",
    re.IGNORECASE,
)


def parse_date(
    text: str | None,
    *,
    language: str,
    now: datetime,
    timezone: str = "UTC",
    date_format: str | None = None,
) -> datetime | None:
    """The moment a date text names, in UTC; None when it names none. `now` anchors relative dates."""
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    zone = ZoneInfo(timezone)
    parsed = (
        _formatted_date(text, date_format)
        or _machine_date(text, zone)
        or _text_date(text, language, now, zone)
    )
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _formatted_date(text: str, date_format: str | None) -> datetime | None:
    """The source's own date_format (e.g. "%m/%d/%Y"), tried first when configured."""
    if not date_format:
        return None
    try:
        return datetime.strptime(text, date_format)
    except ValueError:
        return None


def _machine_date(text: str, zone: ZoneInfo) -> datetime | None:
    if TIMESTAMP.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    if DATE_ONLY.match(text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=zone)
        except ValueError:
            return None
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d", text):
        try:
            return datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            pass
    if re.match(r"^([A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d", text):
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        # The parser returns "-0000" (UTC, sender's zone unknown: RFC 5322) naive, like no zone at all.
        if parsed.tzinfo is None and re.search(r"-0000\s*$", text):
            return parsed.replace(tzinfo=UTC)
        return parsed
    return None


def _text_date(text: str, language: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """A text date, alone ("10 novembre 2026") or inside a longer text ("Publié le 10 novembre 2026 par")."""
    import dateparser  # imported lazily: it is slow to load and most sources give machine dates
    from dateparser.search import search_dates

    text = READING_TIME.sub(" ", text).strip(" ·|-–—,")
    if not text or DURATION_ONLY.match(text):
        return None
    own = language.split("-")[0].lower()
    others = [code for code in TEXT_LANGUAGES if code != own]
    settings = {
        "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = None
    try:
        # The source's own language first, alone: it decides the order of numeric dates (03/04).
        for languages in ([own], others):
            parsed = dateparser.parse(text, languages=languages, settings=settings)
            if parsed is None:
                found = search_dates(text, languages=languages, settings=settings)
                parsed = found[0][1] if found else None
            if parsed is not None:
                break
    except (ValueError, OverflowError):
        return None
    result: datetime | None = parsed
    if result is not None and not TIME_OF_DAY.search(text):
        # "yesterday", "vor 5 Tagen": a calendar day, like any date written without a time.
        result = result.replace(hour=0, minute=0, second=0, microsecond=0)
    return result
