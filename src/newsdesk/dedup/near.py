"""Near-duplicate stories: the same news reworded, cut at another length, or fixed for a typo.

Two parts, both free of I/O:
- `Features` + `judge(a, b)`: the decision, explainable (score and rule), with vetoes for what looks
  alike but is not the same story (numbers and years in titles, dates far apart, other languages);
- `NearIndex`: MinHash signatures in an LSH index (`minhash.py`), so a new item is compared with the
  few stored items that share its opening words, never with the whole history.

The signature is built from the title and the first words of the summary: a summary cut with "..."
and its full version begin alike, so they land in the same LSH bucket.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from newsdesk.dedup.minhash import LSH, LSH_PARAMS, NUM_PERM, Signature, minhash, optimal_params
from newsdesk.dedup.policy import Settings
from newsdesk.text import clean_text, without_ellipsis

SIGNATURE_WORDS = 24  # title + the summary's opening words
SHINGLE = 3
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")
STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
        "is", "it", "its", "of", "on", "or", "our", "the", "their", "this", "to", "was", "were",
        "will", "with", "le", "la", "les", "un", "une", "des", "du", "de", "d", "l", "et", "en",
        "est", "au", "aux", "pour", "par", "sur", "dans", "avec", "ce", "cette", "ces", "qui",
        "que", "son", "sa", "ses", "leur", "leurs", "nos", "notre", "vous", "nous", "se", "s", "il",
        "elle", "ils", "elles", "ne", "pas", "plus"
    }
)  # fmt: skip
# Words that dress a title without changing the story: "Press release: ...", "... | ENSTA".
DRESSING = frozenset({"press", "release", "communique", "news", "actualite", "actualites", "update", "new"})
# Capitalised words that say what an institution is, not which one: every story of "l'École de chimie
# de Rostrenne" names them, so they are no evidence that two texts tell one story.
GENERIC_NAMES = frozenset(
    {
        "ecole", "institut", "institute", "universite", "university", "lycee", "college", "school",
        "laboratoire", "laboratory", "centre", "center",
    }
)  # fmt: skip
# English capitalises days and months, French does not: no evidence either way.
CALENDAR = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    }
)  # fmt: skip
# French elision before a name: "l'École", "d'Armorine", "qu'Estelle".
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE = re.compile(r"[.!?:;«»\"]\s+")
STEM = 5  # letters
COGNATE_GRAM = 4  # letters: "metallurgy" and "métallurgie" share "meta", "etal", "tall", "allu"...
TRANSLATION_DAYS = 2  # a translation may be posted a day or two after the original
DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Verdict:
    duplicate: bool
    score: float
    rule: str


@dataclass(frozen=True)
class Features:
    """What the decision looks at, computed once per item."""

    language: str
    published: date | None
    title_words: frozenset[str]
    title_numbers: frozenset[str]
    summary_shingles: frozenset[tuple[str, ...]]
    summary_words: tuple[str, ...]
    names: frozenset[str] = field(default=frozenset())
    text_numbers: frozenset[str] = field(default=frozenset())
    title: str = ""
    summary: str = ""

    @classmethod
    def of(cls, title: str, summary: str, language: str, published: date | None) -> Features:
        title = clean_text(title)
        summary = without_ellipsis(clean_text(summary))
        summary_words = tuple(words(summary))
        return cls(
            language=language.split("-")[0].lower(),
            published=published,
            title_words=frozenset(w for w in words(title) if w not in STOPWORDS and w not in DRESSING),
            title_numbers=frozenset(numbers(title)),
            summary_shingles=frozenset(shingles(summary_words)),
            summary_words=summary_words,
            names=frozenset(proper_names(summary)),
            text_numbers=frozenset(numbers(title + " " + summary)),
            title=title,
            summary=summary,
        )

    @functools.cached_property
    def wording(self) -> Wording:
        """Only translations look at it: built on first use, not for every same-language comparison."""
        return Wording.of(self.title, self.summary)


@dataclass(frozen=True)
class Wording:
    """What survives translation: names, and words of one root (cognates: recyclage ~ recycling)."""

    names: frozenset[str]  # distinctive names: no "École", no "Monday"
    name_runs: tuple[tuple[str, ...], ...]  # capitalised words in a row: ("claire", "bertin")
    stems: frozenset[str]  # each word's first letters, to find a name the other side writes in lower case
    cognates: frozenset[str]  # letter n-grams of the content words

    @classmethod
    def of(cls, title: str, summary: str) -> Wording:
        runs = name_runs(summary)
        text = words(title + " " + summary)
        return cls(
            names=frozenset(name for run in runs for name in run if name not in GENERIC_NAMES),
            name_runs=tuple(runs),
            stems=frozenset(word[:STEM] for word in text if len(word) >= STEM),
            cognates=frozenset(cognate_grams(text)),
        )

    def knows(self, name: str) -> bool:
        return name in self.names or name[:STEM] in self.stems


def fold(text: str) -> str:
    """Casefolded, accents removed: 'Journée' ~ 'journee'."""
    if text.isascii():
        return text.lower()  # the same, at a fraction of the cost: nothing to decompose or fold
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def numbers(text: str) -> list[str]:
    """Numbers as values: '1,000', '1 000' and '1000' are the same number."""
    return [re.sub(r"[.,\s]", "", found) for found in _NUMBER.findall(text)]


def proper_names(text: str) -> list[str]:
    """Capitalised words not at a sentence start: names of people, places, companies."""
    found: list[str] = []
    for sentence in re.split(r"[.!?:;«»\"]\s+", text):
        tokens = re.findall(r"[^\W\d_][\w'’-]*", sentence)
        found.extend(fold(token) for token in tokens[1:] if token[:1].isupper() and len(token) > 2)
    return found


def shingles(sequence: tuple[str, ...], size: int = SHINGLE) -> Iterable[tuple[str, ...]]:
    if len(sequence) < size:
        return [sequence] if sequence else []
    return (sequence[i : i + size] for i in range(len(sequence) - size + 1))


def jaccard(a: frozenset[object], b: frozenset[object]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[object], b: frozenset[object]) -> float:
    """How much of the smaller set is in the larger: 1.0 when a cut summary is a prefix of the full one."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if not small:
        return 0.0
    return len(small & large) / len(small)


def judge(a: Features, b: Features, settings: Settings = DEFAULT_SETTINGS) -> Verdict:
    """Is this one story? Vetoes first (cheap and decisive), then a similarity score."""
    if a.language != b.language:
        return Verdict(False, 0.0, "other language")
    if a.published and b.published and abs((a.published - b.published).days) > settings.window_days:
        return Verdict(False, 0.0, f"dates more than {settings.window_days} days apart")
    if a.title_numbers != b.title_numbers and a.title_numbers and b.title_numbers:
        return Verdict(False, 0.0, "different numbers in titles")
    title = jaccard(a.title_words, b.title_words)
    if a.summary_shingles and b.summary_shingles:
        overlap = containment(a.summary_shingles, b.summary_shingles)
        score = 0.35 * title + 0.65 * overlap
        rule = f"title {title:.2f}, summary overlap {overlap:.2f}"
    else:
        score = title
        rule = f"title {title:.2f} (no summary on one side)"
    veto = _different_subjects(a, b)
    if veto:
        return Verdict(False, score, veto)
    return Verdict(score >= settings.threshold, score, rule)


def _different_subjects(a: Features, b: Features) -> str | None:
    """Templated look-alikes (job offers, defences, matches): each side says something the other lacks.

    A cut summary or an added sentence only ever adds on one side; two different events built from
    one template differ on both sides, in the title's key words, the names, or the numbers.
    """
    summary_a, summary_b = set(a.summary_words), set(b.summary_words)
    own_a = {w for w in a.title_words - b.title_words if w in summary_a and w not in summary_b}
    own_b = {w for w in b.title_words - a.title_words if w in summary_b and w not in summary_a}

    def unique_content(mine: set[str], other: set[str], other_title: frozenset[str]) -> set[str]:
        return {w for w in mine - other - other_title if len(w) > 3 and w not in STOPWORDS}

    if (own_a and unique_content(summary_b, summary_a, a.title_words)) or (
        own_b and unique_content(summary_a, summary_b, b.title_words)
    ):
        return f"different subjects ({', '.join(sorted(own_a | own_b)[:3])})"
    names_a, names_b = a.names - b.names, b.names - a.names
    if names_a and names_b:
        return f"different names ({', '.join(sorted(names_a)[:2])} / {', '.join(sorted(names_b)[:2])})"
    numbers_a, numbers_b = a.text_numbers - b.text_numbers, b.text_numbers - a.text_numbers
    if numbers_a and numbers_b:
        return f"different numbers ({', '.join(sorted(numbers_a)[:2])} / {', '.join(sorted(numbers_b)[:2])})"
    return None


def name_runs(text: str) -> list[tuple[str, ...]]:
    """Capitalised words in a row, not opening a sentence ("L'École" counts): ("claire", "bertin")."""
    runs: list[tuple[str, ...]] = []
    for sentence in _SENTENCE.split(text):
        run: list[str] = []
        for position, token in enumerate(_NAME_TOKEN.findall(sentence)):
            bare = _ELISION.sub("", token)
            if (position or bare != token) and _is_name(bare):
                run.append(fold(bare))
            elif run:
                runs.append(tuple(run))
                run = []
        if run:
            runs.append(tuple(run))
    return runs


def _is_name(token: str) -> bool:
    return token[:1].isupper() and len(token) > 2 and fold(token).removesuffix("s") not in CALENDAR


def cognate_grams(text: list[str]) -> Iterable[str]:
    """Letter n-grams of the content words: translations share them where words share a root."""
    for word in text:
        if len(word) > COGNATE_GRAM and word not in STOPWORDS and not word.isdigit():
            yield from (word[i : i + COGNATE_GRAM] for i in range(len(word) - COGNATE_GRAM + 1))


def translation(a: Features, b: Features, settings: Settings = DEFAULT_SETTINGS) -> Verdict:
    """The same story in two languages: near in time, the same names and numbers, a shared vocabulary.

    Names and numbers survive translation but are shared by every story of one institution; cognates
    (recyclage ~ recycling) show that the texts say the same things. Either many cognates and one
    name or number in common, or fewer cognates and two, one of them a name, with at least half of
    the shorter text's names and numbers found in the other. All measures are containments (of the
    shorter text in the longer), so a card cut with "..." and the article it was cut from stay
    linked whichever version arrived first; and all are symmetric, so the link does not depend on
    which language arrived first."""
    if a.language == b.language or not (a.published and b.published):
        return Verdict(False, 0.0, "not two dated languages")
    if abs((a.published - b.published).days) > TRANSLATION_DAYS:
        return Verdict(False, 0.0, "different days")
    if a.title_numbers and b.title_numbers and a.title_numbers != b.title_numbers:
        return Verdict(False, 0.0, "different numbers in titles")
    veto = _strangers(a.wording, b.wording)
    if veto:
        return Verdict(False, 0.0, veto)
    anchors_a, anchors_b = a.wording.names | a.text_numbers, b.wording.names | b.text_numbers
    shared = anchors_a & anchors_b
    agreement = containment(anchors_a, anchors_b)
    vocabulary = containment(a.wording.cognates, b.wording.cognates)
    named = bool(shared & a.wording.names)
    confident = (bool(shared) and vocabulary >= settings.translation_words) or (
        len(shared) >= 2 and named and agreement >= 0.5 and vocabulary >= settings.translation_words_named
    )
    listed = ", ".join(sorted(shared)[:4])
    rule = (
        f"{len(shared)} names and numbers shared ({listed}), containment {agreement:.2f}, "
        f"cognates {vocabulary:.2f}"
    )
    return Verdict(confident, vocabulary, rule)


def _strangers(a: Wording, b: Wording) -> str | None:
    """Each text names someone the other never mentions: two people, two events."""
    ours = [run for run in a.name_runs if not any(b.knows(name) for name in run)]
    theirs = [run for run in b.name_runs if not any(a.knows(name) for name in run)]
    if ours and theirs:
        return f"different names ({' '.join(ours[0])} / {' '.join(theirs[0])})"
    return None


# --- the index -----------------------------------------------------------------------------


MIN_SIGNATURE_WORDS = 4  # below this there is too little text to call two items the same story
MAX_CANDIDATES = 50  # a safety net: a sane index never returns more for one item


def has_enough_text(title: str, summary: str) -> bool:
    return len(words(clean_text(title)) + words(clean_text(summary))[:SIGNATURE_WORDS]) >= MIN_SIGNATURE_WORDS


def signature(title: str, summary: str) -> Signature:
    """MinHash of the title's and summary opening's word pairs (stable across processes)."""
    tokens = words(clean_text(title)) + words(without_ellipsis(clean_text(summary)))[:SIGNATURE_WORDS]
    pairs = (
        {f"{x} {y}".encode() for x, y in itertools.pairwise(tokens)}
        or {t.encode() for t in tokens}
        or {b"\0"}
    )
    return minhash(pairs)


def signature_bytes(signature: Signature) -> bytes:
    return np.asarray(signature, dtype=np.uint32).tobytes()


def signature_from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype=np.uint32)


class NearIndex:
    """LSH over item signatures: candidates in about constant time, whatever the history's size.

    Each story may carry its date, so that stories older than the dedup window can be dropped
    (prune): the index holds the recent stories, not the whole history.
    """

    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
        self._lsh = LSH(lsh_params(settings.lsh_threshold))
        self._dated: dict[int, datetime] = {}

    def __len__(self) -> int:
        return len(self._lsh)

    def __contains__(self, key: int) -> bool:
        return key in self._lsh

    def add(self, key: int, signature: Signature, published: datetime | None = None) -> None:
        if key in self._lsh:
            return  # already indexed (caught up from the database, then added by its writer)
        self._lsh.insert(key, signature)
        if published is not None:
            self._dated[key] = published

    def remove(self, key: int) -> None:
        if key in self._lsh:
            self._lsh.remove(key)
        self._dated.pop(key, None)

    def prune(self, before: datetime) -> int:
        """Drop the stories dated before `before`; how many were dropped."""
        old = [key for key, published in self._dated.items() if published < before]
        for key in old:
            self.remove(key)
        return len(old)

    def candidates(self, signature: Signature) -> list[int]:
        return sorted(self._lsh.query(signature))[-MAX_CANDIDATES:]  # the most recent stories


@functools.cache
def lsh_params(threshold: float) -> tuple[int, int]:
    return LSH_PARAMS if threshold == 0.3 else optimal_params(threshold, NUM_PERM)
