"""Dates as a person reads them: in the site's (or source's) time zone and in the reader's language.

Stored times are aware UTC; a story dated "26 November 2026" in Europe/Paris is stored as
2026-11-25T23:00Z, so showing the UTC day would show it a day early. Every date shown to a person
goes through here. Babel formats the day in the reader's language (imported only when a page is made).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from babel.core import Locale


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, zone_name: str) -> datetime:
    """The same instant on the clocks of `zone_name`."""
    return moment.astimezone(zone(zone_name))


def local_day(moment: datetime, zone_name: str) -> date:
    return local(moment, zone_name).date()


def day_text(moment: datetime, zone_name: str, language: str) -> str:
    """'26 novembre 2026' (fr), 'November 26, 2026' (en): the day in the zone, written for the language."""
    return written_day(local_day(moment, zone_name), language)


def written_day(day: date, language: str) -> str:
    """A day as a reader of `language` writes it; an unknown language gets English."""
    from babel.dates import format_date

    return format_date(day, format="long", locale=_locale(language))


@cache
def _locale(language: str) -> Locale:
    """Babel's locale for a language tag ('pt-BR'), parsed once per publish's many dates."""
    from babel.core import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def moment_text(moment: datetime | None, zone_name: str) -> str:
    """'2026-11-26 14:03 CET' for status lines: the site's clock, with its zone named."""
    if moment is None:
        return "-"
    return local(moment, zone_name).strftime("%Y-%m-%d %H:%M %Z")
