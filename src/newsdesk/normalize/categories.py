"""Labels as sites write them -> canonical category ids, through the aliases of config.yaml."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from newsdesk.config import RESERVED_CATEGORY_IDS, Config
from newsdesk.text import LABEL_SEPARATOR, clean_text, normalize_label

Labels = tuple[tuple[str, str], ...]  # (category id, the last segment's label as the page wrote it)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def category_for_unknown_label(label: str) -> str | None:
    """'Student life | Clubs' -> 'student-life/clubs', so an unconfigured label is kept, not lost."""
    parts = [slugify(part) for part in LABEL_SEPARATOR.split(label)]
    parts = [part for part in parts if part]
    if parts and parts[0] in RESERVED_CATEGORY_IDS:
        parts[0] += "-news"  # a label "All" must not take the place of all.atom
    return "/".join(parts) or None


def segment_labels(category_id: str, label: str) -> Labels:
    """'student-life/clubs' from 'Student life | Clubs' -> each id with its own segment as written.

    A configured parent ('Vie étudiante | Clubs' -> 'student-life/clubs') gives labels to the segments
    it made itself, counted from the end."""
    ids = list(reversed(ancestors(category_id)))
    written = [clean_text(part) for part in LABEL_SEPARATOR.split(label)]
    written = [part for part in written if part and slugify(part)]
    pairs = zip(reversed(ids), reversed(written), strict=False)
    return tuple(reversed([(category, part) for category, part in pairs]))


def ancestors(category_id: str) -> list[str]:
    """'a/b/c' -> ['a/b/c', 'a/b', 'a']."""
    parts = category_id.split("/")
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]


class CategoryResolver:
    """Maps labels to ids; matching is case- and whitespace-insensitive, on aliases, ids and titles."""

    def __init__(self, config: Config) -> None:
        self._by_label: dict[str, str] = {}
        for category in config.categories:
            for label in (category.id, category.display_title, *category.aliases):
                self._by_label.setdefault(normalize_label(label), category.id)
        self.known = frozenset(category.id for category in config.categories)

    def _under_known_parent(self, label: str) -> str | None:
        """'Vie étudiante | Clubs' with 'Vie étudiante' an alias of student-life -> 'student-life/clubs'."""
        parts = LABEL_SEPARATOR.split(label, maxsplit=1)
        if len(parts) < 2:
            return None
        parent = self._by_label.get(normalize_label(parts[0]))
        rest = category_for_unknown_label(parts[1])
        return f"{parent}/{rest}" if parent and rest else None

    def resolve(self, labels: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...], Labels]:
        """Return (category ids, ids made from unknown labels, the labels those were made from),
        each without repeats, in label order."""
        found: list[str] = []
        invented: list[str] = []
        written: dict[str, str] = {}
        for label in labels:
            key = normalize_label(label)
            if not key:
                continue
            category = (
                self._by_label.get(key)
                or self._under_known_parent(label)
                or category_for_unknown_label(label)
            )
            if category is None:
                continue
            if category not in self.known and category not in invented:
                invented.append(category)
                for made, part in segment_labels(category, label):
                    if made not in self.known:
                        written.setdefault(made, part)
            if category not in found:
                found.append(category)
        return tuple(found), tuple(invented), tuple(written.items())


def relabelled(config: Config) -> dict[str, str]:
    """Categories once invented from a label that the config now names: {'partnerships': 'press'}."""
    known = {category.id for category in config.categories}
    mapping: dict[str, str] = {}
    for category in config.categories:
        for label in (category.display_title, *category.aliases):
            invented = category_for_unknown_label(label)
            if invented and invented not in known and invented != category.id:
                mapping.setdefault(invented, category.id)
    return mapping


def label_preference(label: str) -> tuple[int, int, str]:
    """Which of a category's labels to show when a site writes it several ways ("Evenement",
    "Événement", "événement"): the one with the most accents, then capitals; whatever order they came in."""
    accents = sum(1 for char in label if ord(char) > 127)
    capitals = sum(1 for char in label if char.isupper())
    return (accents, capitals, label)
