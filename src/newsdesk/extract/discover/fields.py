"""Per block, the selectors of config.yaml that read its cards: the item, then each field.

A selector is the most specific one that is stable: class names that name a kind of thing (not
generated hashes, states or modifiers), tags, a parent's class; never `nth-child` chains or ids with
numbers. A field's selector is kept when its first match in (nearly) every card is the element the
card's reading found, which is how `extract.html` reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml.html import HtmlElement

from newsdesk.errors import SelectorSyntaxError
from newsdesk.extract.discover.blocks import DATE_HINT, Block, Card, Page
from newsdesk.extract.discover.words import chrome_reason, is_heading, stable_classes, stable_id
from newsdesk.extract.html import image_url
from newsdesk.markup import visible_text
from newsdesk.models import RawItem
from newsdesk.selectors import select

AGREEMENT = 0.9  # of the cards that have the field, how many the selector must read right
CATEGORY_WORDS = re.compile(
    r"categor|(?:^|[-_])tags?(?:$|[-_])|label|kicker|topic|rubri|eyebrow|overline|badge|section|theme|"
    r"(?:^|[-_])type(?:$|[-_])|chapeau|surtitre|dachzeile",
    re.IGNORECASE,
)
DATE_WORDS = re.compile(r"date|time|published|posted|datum|fecha|data", re.IGNORECASE)
SUMMARY_TAGS = frozenset({"p", "div", "span", "dd", "section", "blockquote"})
MIN_SUMMARY = 40


def item_selector(page: Page, block: Block) -> str | None:
    """The selector that matches exactly this block's cards in the page."""
    cards = block.elements
    wanted = set(cards)
    for css in _card_candidates(cards):
        try:
            if set(select(css, page.document)) == wanted:
                return css
        except SelectorSyntaxError:
            continue
    return None


def _card_candidates(cards: list[HtmlElement]) -> Iterator[str]:
    tag = cards[0].tag
    common = set(stable_classes(cards[0]))
    for card in cards[1:]:
        common &= set(stable_classes(card))
    ordered = [name for name in stable_classes(cards[0]) if name in common]
    own = [f"{tag}.{name}" for name in ordered]
    own += [tag + "".join(f".{name}" for name in ordered)] if len(ordered) > 1 else []
    yield from own
    if not own:
        yield tag
    yield from (f"{scope} {css}" for css in own or [tag] for scope in _scopes(cards))
    parents = {card.getparent() for card in cards}
    if len(parents) == 1:
        parent = next(iter(parents))
        if parent is not None:
            for scope in _names(parent):
                yield f"{scope} > {tag}"
    for scope in _scopes(cards):
        yield f"{scope} > {tag}" if len(parents) == 1 else f"{scope} {tag}"
    chain = [ancestor.tag for ancestor in cards[0].iterancestors()][:6]
    for depth in range(1, len(chain) + 1):  # unnamed markup: the tags above, as few as tell them apart
        yield " > ".join([*reversed(chain[:depth]), tag])


def _scopes(cards: list[HtmlElement]) -> Iterator[str]:
    """Names of the cards' common ancestors, nearest first."""
    common: list[HtmlElement] | None = None
    for card in cards:
        chain = list(card.iterancestors())
        common = chain if common is None else [element for element in common if element in set(chain)]
    for ancestor in (common or [])[:6]:
        yield from _names(ancestor)


def _names(element: HtmlElement) -> Iterator[str]:
    if element.tag in ("html", "body"):
        return
    identifier = stable_id(element)
    if identifier:
        yield f"#{identifier}"
    classes = stable_classes(element)
    if classes:
        yield element.tag + "".join(f".{name}" for name in classes)
        if len(classes) > 1:
            yield f"{element.tag}.{classes[0]}"


# --- fields --------------------------------------------------------------------------------


def field_selectors(block: Block) -> dict[str, str]:
    """title, link, date, summary, category, image: each found on enough of the cards."""
    cards = block.cards
    fields: dict[str, str] = {}
    title = _selector_for(cards, lambda card: card.title_element)
    if title is not None:
        fields["title"] = title
    link = _selector_for(cards, lambda card: card.anchor)
    if link is not None:
        fields["link"] = "@href" if link == ":scope" else f"{link}@href"
    finders: dict[str, Callable[[Card], HtmlElement | None]] = {
        "summary": _summary_element,
        "category": _category_element,
        "date": _date_element,
        "image": _image_element,
    }
    for name, finder in finders.items():
        found = _selector_for(cards, finder, at_least=0.3)
        if found is not None and found != ":scope":
            fields[name] = found
    return fields


def _selector_for(
    cards: list[Card], target: Callable[[Card], HtmlElement | None], at_least: float = 0.6
) -> str | None:
    """The first candidate selector that reads the target element of nearly every card that has one."""
    targets = [(card, target(card)) for card in cards]
    present = [(card, element) for card, element in targets if element is not None]
    if len(present) < max(1, at_least * len(cards)):
        return None
    if all(element is card.element for card, element in present):
        return ":scope"
    tried: set[str] = set()
    for _, element in present[:5]:
        card = _card_of(element, cards)
        if card is None:
            return None  # outside the card (a <dd> beside its <dt>): no selector reads it
        for css in _field_candidates(element, card):
            if css in tried:
                continue
            tried.add(css)
            if _agrees(css, targets):
                return css
    return None


def _card_of(element: HtmlElement, cards: list[Card]) -> HtmlElement | None:
    elements = {card.element for card in cards}
    return next((node for node in (element, *element.iterancestors()) if node in elements), None)


def _agrees(css: str, targets: list[tuple[Card, HtmlElement | None]]) -> bool:
    right = wrong = 0
    for card, element in targets:
        try:
            matches = select(css, card.element)
        except SelectorSyntaxError:
            return False
        first = matches[0] if matches else None
        if element is None:
            wrong += first is not None
        elif first is element:
            right += 1
        else:
            wrong += 1
    return right > 0 and right >= AGREEMENT * (right + wrong)


def _field_candidates(element: HtmlElement, card: HtmlElement) -> Iterator[str]:
    """From the element's own class to its tag under a named parent, most stable first."""
    tag = element.tag
    classes = stable_classes(element)
    for name in classes:
        yield f".{name}"
    for name in classes:
        yield f"{tag}.{name}"
    yield tag
    parent = element.getparent()
    while parent is not None and parent is not card.getparent():
        for scope in [*(f".{name}" for name in stable_classes(parent)), parent.tag]:
            yield f"{scope} > {tag}"
            yield f"{scope} {tag}"
            for name in classes:
                yield f"{scope} .{name}"
        if parent is card:
            break
        parent = parent.getparent()


# --- what each field is, on one card ---------------------------------------------------------


def card_item(card: Card, source: str, page_url: str, base: str) -> RawItem:
    """A card read as found, for cards no selector reads alike: what `extract.html` would read."""
    summary = _summary_element(card)
    category = _category_element(card)
    date = _date_element(card)
    image = _image_element(card)
    return RawItem(
        source=source,
        page_url=page_url,
        title=card.title,
        link=card.link,
        summary=visible_text(summary) if summary is not None else None,
        categories=(visible_text(category),) if category is not None else (),
        date_text=(date.get("datetime") or visible_text(date)) if date is not None else None,
        image=image_url(image, base) if image is not None else None,
    )


def _summary_element(card: Card) -> HtmlElement | None:
    """The longest text of the card that is not its title, its date or its label."""
    title_parts = {
        card.title_element,
        *card.title_element.iterdescendants(),
        *card.title_element.iterancestors(),
    }
    best: HtmlElement | None = None
    best_length = MIN_SUMMARY - 1
    for element in card.element.iter():
        if element.tag not in SUMMARY_TAGS or element in title_parts:
            continue
        holds_blocks = any(
            child.tag in SUMMARY_TAGS or is_heading(child) or child.tag == "a" for child in element
        )
        if holds_blocks and element.tag != "p":
            continue
        if chrome_reason(element, stop=card.element):
            continue
        text = visible_text(element)
        if len(text) > best_length and card.title not in text:
            best, best_length = element, len(text)
    return best


def _category_element(card: Card) -> HtmlElement | None:
    """The innermost element named as a label (`category`, `tag`, `rubrique`, `kicker`...)."""
    named = [
        element
        for element in card.element.iterdescendants()
        if isinstance(element.tag, str)
        and CATEGORY_WORDS.search(" ".join(filter(None, (element.get("class"), element.get("rel")))))
        and not DATE_WORDS.search(element.get("class") or "")
    ]
    inner = set(named)
    for element in named:
        if any(other in inner for other in element.iterdescendants()):
            continue
        text = visible_text(element)
        if 0 < len(text) <= 60 and card.title not in text and not is_heading(element):
            return element
    return None


def _date_element(card: Card) -> HtmlElement | None:
    time = next(card.element.iter("time"), None)
    if time is not None:
        return time
    for element in card.element.iter():
        if not isinstance(element.tag, str) or element is card.element or element.tag == "a":
            continue
        if DATE_WORDS.search(element.get("class") or "") and len(element) <= 2:
            text = visible_text(element)
            if text and len(text) <= 60 and DATE_HINT.search(text):
                return element
    title_parts = {card.title_element, *card.title_element.iterdescendants()}
    for element in card.element.iter():  # a date in a plain element: "12 mars 2026", "03/11/2026"
        if isinstance(element.tag, str) and len(element) == 0 and element not in title_parts:
            text = visible_text(element)
            if 6 <= len(text) <= 40 and DATE_HINT.search(text) and element.tag != "a":
                return element
    return None


def _image_element(card: Card) -> HtmlElement | None:
    for image in card.element.iter("img"):
        if not chrome_reason(image, stop=card.element):
            return image
    return None
