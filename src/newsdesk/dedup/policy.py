"""The config's dedup section as decisions read it: thresholds, the window, forced splits and merges.

Apart from the judge and its index, so that opening a store (every command) loads neither numpy nor
the judge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.62  # combined score from which two items are one story
    window_days: int = 10  # dated items further apart are different stories
    lsh_threshold: float = 0.3
    translation_words: float = 0.35  # share of cognates, with one name or number in common
    translation_words_named: float = 0.22  # with two in common, one of them a name


@dataclass(frozen=True)
class DedupPolicy:
    """The config's dedup section, as decisions need it."""

    enabled: bool = True
    settings: Settings = field(default_factory=Settings)
    never_merge: frozenset[frozenset[str]] = frozenset()
    always_merge: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_pairs(
        cls,
        *,
        enabled: bool,
        settings: Settings,
        never_merge: Iterable[Iterable[str]],
        always_merge: Iterable[Iterable[str]],
    ) -> DedupPolicy:
        def canonical_pair(pair: Iterable[str]) -> tuple[str, str]:
            from newsdesk.normalize.urls import canonical_url  # w3lib: only when pairs are given

            first, second = (canonical_url(link) or link for link in pair)
            return first, second

        return cls(
            enabled=enabled,
            settings=settings,
            never_merge=frozenset(frozenset(canonical_pair(pair)) for pair in never_merge),
            always_merge=tuple(canonical_pair(pair) for pair in always_merge),
        )
