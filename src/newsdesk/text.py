"""Small text helpers shared by every stage: what a reader sees, compared the way a reader would."""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Control characters (Unicode category Cc) but tab, newline, carriage return and NEL, which are spaces.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Characters that change how text is displayed without being visible: bidi overrides, zero-width.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
# Longest first: WordPress ends excerpts with "[…]" or "[...]".
ELLIPSES = ("[...]", "[…]", "(...)", "(…)", "...", "…")


def clean_text(text: str | None) -> str:
    """Collapse whitespace, drop control and invisible formatting characters, NFC-normalize."""
    if not text:
        return ""
    text = _CONTROL.sub("", text.translate(_INVISIBLE))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", text).strip()


# Between the levels of a label ("Company | Innovation", "News > Research"); not "/": "24/7" and
# "AI/ML" are one label.
LABEL_SEPARATOR = re.compile(r"\s*[|>»]\s*")


def normalize_label(label: str) -> str:
    """Case- and whitespace-insensitive: 'Company\\n |  Innovation' ~ 'company | innovation'."""
    return LABEL_SEPARATOR.sub(" | ", clean_text(label)).casefold()


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut, as sites do."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def is_truncated(text: str) -> bool:
    """A summary cut by the site ends with an ellipsis."""
    return text.rstrip().endswith(ELLIPSES)


def without_ellipsis(text: str) -> str:
    stripped = text.rstrip()
    for mark in ELLIPSES:
        if stripped.endswith(mark):
            return stripped[: -len(mark)].rstrip()
    return stripped


@functools.lru_cache(maxsize=2048)
def comparable(text: str) -> str:
    """Text reduced for comparing two versions of one story: casefolded, whitespace collapsed.

    Cached: a refresh compares the same titles and summaries many times (collapse, keys, merge).
    """
    return clean_text(text).casefold()


def extends(full: str, cut: str) -> bool:
    """True when `cut` (ending with an ellipsis) is a prefix of `full`, i.e. `full` is the richer text."""
    if not is_truncated(cut):
        return False
    prefix = comparable(without_ellipsis(cut))
    whole = comparable(without_ellipsis(full))  # a cut text does not extend the same cut text
    return len(whole) > len(prefix) and whole.startswith(prefix)
