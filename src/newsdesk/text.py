"""Small text helpers shared by every stage: what a reader sees, compared the way a reader would."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Characters that change how text is displayed without being visible: bidi overrides, zero-width.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
# Longest first: WordPress ends excerpts with "[…]" or "[...]".
ELLIPSES = ("[...]", "[…]", "(...)", "(…)", "...", "…")


def clean_text(text: str | None) -> str:
    """Collapse whitespace, drop control and invisible formatting characters, NFC-normalize."""
    if not text:
        return ""
    text = text.translate(_INVISIBLE)
    text = "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


_LABEL_SEPARATOR = re.compile(r"\s*[|>»]\s*")


def normalize_label(label: str) -> str:
    """Case- and whitespace-insensitive: 'Company\\n |  Innovation' ~ 'company | innovation'."""
    return _LABEL_SEPARATOR.sub(" | ", clean_text(label)).casefold()


def is_truncated(text: str) -> bool:
    """A summary cut by the site ends with an ellipsis."""
    return text.rstrip().endswith(ELLIPSES)


def without_ellipsis(text: str) -> str:
    stripped = text.rstrip()
    for mark in ELLIPSES:
        if stripped.endswith(mark):
            return stripped[: -len(mark)].rstrip()
    return stripped


def comparable(text: str) -> str:
    """Text reduced for comparing two versions of one story: casefolded, whitespace collapsed."""
    return clean_text(text).casefold()


def extends(full: str, cut: str) -> bool:
    """True when `cut` (ending with an ellipsis) is a prefix of `full`, i.e. `full` is the richer text."""
    if not is_truncated(cut):
        return False
    prefix = comparable(without_ellipsis(cut))
    whole = comparable(full)
    return len(whole) > len(prefix) and whole.startswith(prefix)
