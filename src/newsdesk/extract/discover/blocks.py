"""Repeated structure: the blocks of a page whose cards each lead to one story.

Links are grouped by where they sit (the tag and stable classes of every ancestor), so the title links
of a grid, of a carousel and of a "more news" list form three groups, and cousins (cards spread over
rows) fall into one. A group's cards are the highest ancestors that each hold one story. Blocks are
then scored by what their cards carry (a heading, a date, an image, a summary raise the score; menus,
footers, share buttons and short link texts lower it) and explained, so `discover --json` says why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from newsdesk.extract.discover.words import (
    ASIDE,
    UTILITY_TEXT,
    chrome_reason,
    is_heading,
    stable_classes,
)
from newsdesk.extract.html import MAX_CARDS, absolute_url
from newsdesk.markup import visible_text

MAX_CARD_DEPTH = 6  # levels above a link that a card may be
MIN_CARDS = 2
MIN_SCORE = 2.5
RELATIVE_SCORE = 0.25  # of the best block's score: the carousel and the "more news" list of a grid page
BESIDE_RELATIVE_SCORE = 0.4  # a block in an <aside> must hold up better to the content
DATED_BESIDE_SCORE = 0.15
SKIPPED = frozenset({"script", "style", "template", "noscript", "head", "select", "option", "svg"})


@dataclass
class Card:
    element: HtmlElement
    link: str
    anchor: HtmlElement  # the link read as the story's
    title: str
    title_element: HtmlElement


@dataclass
class Block:
    """Cards of one shape in one place, with the score and the reasons behind it."""

    cards: list[Card]
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    rejected: str | None = None  # why it is not news, when it is not
    beside: bool = False  # in an <aside>: news only when it shows stories the content does not

    @property
    def elements(self) -> list[HtmlElement]:
        return [card.element for card in self.cards]


class Page:
    """A parsed page, with the facts every block reads cached."""

    def __init__(self, document: HtmlElement, url: str, base: str) -> None:
        self.document = document
        self.url = url
        self.base = base
        self.host = urlsplit(base).hostname or urlsplit(url).hostname or ""  # a saved page's <base>
        self._signature: dict[HtmlElement, tuple[str, ...]] = {}

    def signature(self, element: HtmlElement) -> tuple[str, ...]:
        """The tag and stable classes of the element and every ancestor: where it sits, as a shape."""
        found = self._signature.get(element)
        if found is None:
            parent = element.getparent()
            own = element.tag + "".join(f".{name}" for name in sorted(stable_classes(element)))
            found = (*self.signature(parent), own) if parent is not None else (own,)
            self._signature[element] = found
        return found

    def link_of(self, anchor: HtmlElement) -> str | None:
        """The absolute http(s) address an anchor leads to, without its fragment; None for links that
        lead nowhere new (this page, javascript:, mailto:)."""
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            return None
        url = absolute_url(self.base, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")) or url.rstrip("/") == self.url.split("#")[0].rstrip(
            "/"
        ):
            return None
        if FEED_PATH.search(urlsplit(url).path):
            return None  # "Subscribe to our RSS feed" leads to a feed, not to a story
        return url


def anchors(page: Page) -> Iterator[tuple[HtmlElement, str]]:
    for anchor in page.document.iter("a", "area"):
        if any(ancestor.tag in SKIPPED for ancestor in anchor.iterancestors()):
            continue
        link = page.link_of(anchor)
        if link is not None and not UTILITY_TEXT.match(_anchor_text(anchor)):
            yield anchor, link


def find_blocks(page: Page) -> list[Block]:
    """Every block of at least two cards, scored, best first (rejected ones included, last)."""
    groups: dict[tuple[str, ...], list[tuple[HtmlElement, str]]] = {}
    for anchor, link in anchors(page):
        groups.setdefault(page.signature(anchor), []).append((anchor, link))
    blocks: dict[tuple[HtmlElement, ...], Block] = {}
    for members in groups.values():
        if len({link for _, link in members}) < MIN_CARDS:
            continue
        elements = _cards_of(members)
        if elements is None:
            continue
        elements = elements[:MAX_CARDS]  # as extract.html reads them: a page of 50,000 cards is not news
        key = tuple(elements)
        if key in blocks:
            continue
        cards = [card for card in (_read_card(page, element) for element in elements) if card is not None]
        if len({card.link for card in cards}) >= MIN_CARDS:
            blocks[key] = score_block(page, Block(cards))
    ranked = sorted(blocks.values(), key=lambda block: -block.score)
    return _without_nested(ranked)


def _cards_of(members: list[tuple[HtmlElement, str]]) -> list[HtmlElement] | None:
    """The highest ancestor of each link that holds that link's story only, at one level for all."""
    under: dict[HtmlElement, set[str]] = {}
    chains = []
    for anchor, link in members:
        chain = [anchor, *list(anchor.iterancestors())[:MAX_CARD_DEPTH]]
        chains.append((chain, link))
        for element in chain:
            under.setdefault(element, set()).add(link)
    level = MAX_CARD_DEPTH
    for chain, _ in chains:
        own = 0
        while own + 1 < len(chain) and len(under[chain[own + 1]]) == 1 and chain[own + 1].tag != "body":
            own += 1
        level = min(level, own)
    elements: list[HtmlElement] = []
    seen: set[HtmlElement] = set()
    for chain, _ in chains:
        element = chain[min(level, len(chain) - 1)]
        if element not in seen:
            seen.add(element)
            elements.append(element)
    return _unwrapped(elements)


def _unwrapped(cards: list[HtmlElement]) -> list[HtmlElement]:
    """The card inside its wrappers (`div.col > div.card-wrapper > div.card`): while every card is an
    element whose only content is one child, the child is the card."""
    while True:
        inner = [_sole_child(card) for card in cards]
        if any(child is None for child in inner):
            return cards
        cards = [child for child in inner if child is not None]


def _sole_child(element: HtmlElement) -> HtmlElement | None:
    if element.tag in ("a", "area"):
        return None  # a card that is a link: the link is the card
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) != 1 or (element.text or "").strip() or (children[0].tail or "").strip():
        return None
    child = children[0]
    return child if child.tag not in ("a", "img", "picture", "h1", "h2", "h3", "h4", "h5", "h6") else None


def _read_card(page: Page, card: HtmlElement) -> Card | None:
    """The card's story: the address most of its links lead to, a heading's link before others, and
    the title a reader sees on it (the heading, else the longest text of a link to the story)."""
    links: dict[str, list[HtmlElement]] = {}
    candidates = [card] if card.tag in ("a", "area") else []
    candidates += list(card.iter("a", "area"))
    for anchor in candidates:
        link = page.link_of(anchor)
        text = _anchor_text(anchor)
        if link is None or UTILITY_TEXT.match(text) or DATE_TEXT.match(text):
            continue
        if anchor is not card and chrome_reason(anchor, stop=card):
            continue  # a share bar or a tag list inside the card
        links.setdefault(link, []).append(anchor)
    if not links:
        return None

    def weight(item: tuple[str, list[HtmlElement]]) -> tuple[int, int, int, int]:
        link, found = item
        in_heading = any(_heading_of(anchor, card) is not None for anchor in found)
        text = max(len(_anchor_text(anchor)) for anchor in found)
        about_stories = bool(TAXONOMY.search(urlsplit(link).path))
        return (in_heading, not about_stories, len(found), min(text, 80))

    link, found = max(links.items(), key=weight)
    described = _described_by(card, link, found[0])
    if described is not None:
        return described
    for anchor in found:
        heading = _heading_of(anchor, card)
        if heading is not None:
            title = visible_text(heading)
            if title:
                return Card(card, link, anchor, title, heading)
    anchor = max(found, key=lambda element: len(_anchor_text(element)))
    title = _anchor_text(anchor)
    if not title:
        heading = next((element for element in card.iter() if is_heading(element)), None)
        if heading is None or not visible_text(heading):
            return None
        return Card(card, link, anchor, visible_text(heading), heading)
    return Card(card, link, anchor, title, anchor)


def _described_by(card: HtmlElement, link: str, anchor: HtmlElement) -> Card | None:
    """A definition list's entry (`<dt>` link, `<dd>` details, as arXiv lists papers): when the link's
    text is a code, the title is the details' own title."""
    if card.tag != "dt" or " " in _anchor_text(anchor):
        return None
    details = card.getnext()
    while details is not None and not isinstance(details.tag, str):
        details = details.getnext()
    if details is None or details.tag != "dd":
        return None
    for element in details.iter():
        if isinstance(element.tag, str) and (is_heading(element) or "title" in (element.get("class") or "")):
            title = _without_label(element)
            if title:
                return Card(card, link, anchor, title, element)
    return None


def _without_label(element: HtmlElement) -> str:
    """`Title: Ideal approach...` -> `Ideal approach...`: a leading label ending with ':' is not the title."""
    text = visible_text(element)
    first = next((child for child in element if isinstance(child.tag, str)), None)
    if first is not None and not (element.text or "").strip():
        label = visible_text(first)
        if label.endswith(":") and text.startswith(label):
            return text[len(label) :].strip()
    return text


def _anchor_text(anchor: HtmlElement) -> str:
    text = visible_text(anchor)
    if text:
        return text
    return (anchor.get("title") or anchor.get("aria-label") or "").strip()


def _heading_of(anchor: HtmlElement, card: HtmlElement) -> HtmlElement | None:
    """The heading the link is in, or that is the only content of the link."""
    for element in (anchor, *anchor.iterancestors()):
        if is_heading(element):
            return element
        if element is card:
            break
    inner = [element for element in anchor.iterdescendants() if is_heading(element)]
    return inner[0] if len(inner) == 1 else None


WORD = re.compile(r"\w+")
FEED_PATH = re.compile(
    r"\.(?:rss|atom|rdf)$|[/.]rss(?:\.html?|\.xml)?/?$|/(?:feed|atom)(?:\.xml)?/?$", re.IGNORECASE
)
# Paths of listings about stories rather than of stories: tags, categories, authors, searches, archives.
TAXONOMY = re.compile(
    r"/(?:tags?|labels?|category|categories|categorie|kategorie|rubrique|topics?|themen|author|authors|"
    r"autor|auteur|user|users|profile|search|suche|recherche|page)(?:/|$)|/(?:19|20)\d{2}/\d{1,2}/?$|"
    r"/(?:19|20)\d{2}/?$",
    re.IGNORECASE,
)
# A link whose text is a date ("5 hours ago", "12 March 2024") dates the story; it does not title it.
DATE_TEXT = re.compile(
    r"^\s*(?:\d+\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago|"
    r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.?\s+\w+\.?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4})\s*$",
    re.IGNORECASE,
)
DATE_HINT = re.compile(
    r"\d{1,4}[./-]\d{1,2}|\b\d{1,2}\s*\w{3,}\.?\s*\d{2,4}\b|\b(?:19|20)\d{2}\b|"
    r"\b(?:ago|hace|il y a|vor|fa|today|yesterday|aujourd'hui|hier|heute|gestern|hoy|ayer|oggi|ieri)\b",
    re.IGNORECASE,
)


def score_block(page: Page, block: Block) -> Block:
    """How much a block looks like news: how many distinct stories, and what each card carries."""
    cards = block.cards
    count = len(cards)
    shown = len({(card.link, card.title) for card in cards})  # a carousel's clones are one card
    distinct = len({card.link for card in cards})
    words = sorted(len(WORD.findall(card.title)) for card in cards)
    median_words = words[len(words) // 2]
    shares = {
        "heading": sum(is_heading(card.title_element) for card in cards) / count,
        "date": sum(_has_date(card) for card in cards) / count,
        "image": sum(_has_image(card.element) for card in cards) / count,
        "summary": sum(_has_summary(card) for card in cards) / count,
    }
    shares["long title"] = sum(len(WORD.findall(card.title)) >= 4 for card in cards) / count
    shares["story address"] = sum(_story_address(card.link) for card in cards) / count
    same_site = sum(_same_site(page.host, card.link) for card in cards) / count
    taxonomy = sum(bool(TAXONOMY.search(urlsplit(card.link).path)) for card in cards) / count
    score = math.sqrt(distinct) * (1 + sum(shares.values()))
    reasons = [
        f"{distinct} distinct stories in {shown} cards"
        + (f" (and {count - shown} clones)" if count > shown else "")
    ]
    reasons += [f"{share:.0%} with a {name}" for name, share in shares.items() if share]
    if median_words < 2:
        score = 0.0
        reasons.append("titles of one word (a menu or tags?)")
    elif median_words < 3:
        score *= 0.5
        reasons.append("titles of two words")
    elif median_words > 40:
        score *= 0.3
        reasons.append("titles longer than 40 words (text, not cards)")
    if taxonomy > 0.5:
        score *= 0.1
        reasons.append(f"{taxonomy:.0%} of the links lead to tags, categories, authors or archives")
    if same_site < 0.5:
        score *= 0.8
        reasons.append(f"{1 - same_site:.0%} of the links lead to other sites")
    if distinct < shown * 0.6 and shown > 3:
        score *= 0.5
        reasons.append("the same links repeat across cards")
    chrome = chrome_reason(cards[0].element)
    if chrome:
        score *= chrome[1]
        reasons.append(chrome[0])
        block.beside = chrome[0] == ASIDE
    block.score = round(score, 2)
    block.reasons = reasons
    if score < MIN_SCORE:
        block.rejected = "too weak: " + (
            chrome[0] if chrome else "few stories, or cards with little but a link"
        )
    return block


def _story_address(link: str) -> bool:
    """A path that names one story: a slug of three words or more, a number, or a dated folder."""
    path = urlsplit(link).path
    last = path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return len(re.findall(r"[^\W_]+", last)) >= 3 or bool(re.search(r"\d{3,}", path))


def _same_site(host: str, link: str) -> bool:
    other = urlsplit(link).hostname or ""
    return bool(host) and (other == host or other.endswith("." + host) or host.endswith("." + other))


def _has_date(card: Card) -> bool:
    """A <time>, or a short text that reads like a date beside the title."""
    if next(card.element.iter("time"), None) is not None:
        return True
    title = {card.title_element, *card.title_element.iterdescendants()}
    for element in card.element.iter():
        if not isinstance(element.tag, str) or element in title or len(element) > 2:
            continue
        if len(element.text_content()) > 200:
            continue  # far longer than a date: not worth reading as a reader sees it
        text = visible_text(element)
        if 4 <= len(text) <= 40 and DATE_HINT.search(text):
            return True
    return False


def _has_image(card: HtmlElement) -> bool:
    return next(card.iter("img", "picture"), None) is not None


def _has_summary(card: Card) -> bool:
    return len(visible_text(card.element)) >= len(card.title) + 60


def _without_nested(ranked: list[Block]) -> list[Block]:
    """A block whose cards hold (or sit in) a better block's cards is the same news seen at another
    level: only the better one is kept."""
    kept: list[Block] = []
    taken: set[HtmlElement] = set()
    for block in ranked:
        inside = {element for card in block.elements for element in (card, *card.iterancestors())}
        inside |= {element for card in block.elements for element in card.iterdescendants()}
        if inside & taken:
            continue
        kept.append(block)
        taken |= set(block.elements)
    return kept


def chosen_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks that hold news: strong enough, and not far below the best one."""
    strong = [block for block in blocks if block.rejected is None]
    if not strong:
        return []
    best = strong[0].score
    chosen: list[Block] = []
    for block in strong:
        dated = sum(_has_date(card) for card in block.cards) >= 0.8 * len(block.cards)
        # Beside the content, a list holds up when it is dated throughout (an agenda, "more news").
        relative = (
            RELATIVE_SCORE if not block.beside else DATED_BESIDE_SCORE if dated else BESIDE_RELATIVE_SCORE
        )
        if block.score < best * relative:
            block.rejected = f"far below the best block ({block.score:g} against {best:g})"
        elif block.beside and {card.link for card in block.cards} & {c.link for b in chosen for c in b.cards}:
            block.rejected = "beside the content, repeating its stories (a most-read box?)"
        else:
            chosen.append(block)
    return chosen


CARD_WORDS = re.compile(
    r"teaser|card|story|entry|post|(?:^|[-_\s])(?:item|news|article|tile)(?:$|[-_\s]|s\b)", re.I
)


def single_cards(page: Page, chosen: list[Block], judged: Sequence[Block] = ()) -> Block | None:
    """Stories shown once in their own shape: the lead teaser above a list, an article card beside a
    list item. Looked for where the chosen blocks are (the page's <main>, else around them), or on the
    whole page when there is no block; each must have a title of two words or more and lead to a story
    of this site that no block holds."""
    taken = {element for block in [*chosen, *judged] for element in block.elements}  # rejected ones too
    known = {card.link for block in chosen for card in block.cards}
    region = _region(page, chosen)
    if region is None:
        return None
    inside_taken = set(taken)
    for element in taken:
        inside_taken.update(element.iterdescendants())
        inside_taken.update(element.iterancestors())
    cards: list[Card] = []
    claimed: set[HtmlElement] = set()
    for element in region.iter():
        if not isinstance(element.tag, str) or element in inside_taken or element in claimed:
            continue
        if not (
            element.tag == "article" or CARD_WORDS.search(element.get("class") or "") or is_heading(element)
        ):
            continue
        if any(ancestor in claimed for ancestor in element.iterancestors()):
            continue
        if chrome_reason(element, stop=region.getparent()):
            continue
        card = _read_card(page, element)
        if card is None or card.link in known or not _same_site(page.host, card.link):
            continue
        if len(WORD.findall(card.title)) < 2 or TAXONOMY.search(urlsplit(card.link).path):
            continue
        folder = card.link.rstrip("/") + "/"
        if any(link.startswith(folder) for link in known):
            continue  # "All the news": the listing the stories are in, not one of them
        if chosen and not (_has_date(card) or _story_address(card.link)):
            continue  # beside blocks of news, a card alone must look like news: a service tile does not
        if sum(1 for _ in element.iter("a")) > 12:
            continue  # a section of the page, not a card
        known.add(card.link)
        claimed.add(element)
        cards.append(card)
    if not cards:
        return None
    return Block(
        cards, score=float(len(cards)), reasons=[f"{len(cards)} stories shown once, each in its own shape"]
    )


def _region(page: Page, chosen: list[Block]) -> HtmlElement | None:
    body = next(page.document.iter("body"), None)
    if not chosen:
        return body
    best = chosen[0].elements[0]
    main = next(
        (
            ancestor
            for ancestor in best.iterancestors()
            if ancestor.tag == "main" or ancestor.get("role") == "main"
        ),
        None,
    )
    if main is not None:
        return main
    container = best.getparent()
    return container.getparent() if container is not None else None
