"""Finding the news on a page without selectors, cheapest and surest first: structured data
(JSON-LD, microdata, h-entry), application state, then repeated structure.

`discover_page` is pure (a fetched page in, a Discovery out): `newsdesk discover` prints what it
found as a source for config.yaml, and `type: auto` sources run it at every refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from newsdesk.config import SelectConfig
from newsdesk.errors import ExtractError
from newsdesk.extract.discover.blocks import Block, Page, chosen_blocks, find_blocks, single_cards
from newsdesk.extract.discover.fields import card_item, field_selectors, item_selector
from newsdesk.extract.discover.records import Found, state_items, structured_items
from newsdesk.extract.html import base_url, extract_html, parse_html
from newsdesk.markup import visible_text
from newsdesk.models import Page as FetchedPage
from newsdesk.models import RawItem

SHELL_TEXT = 200  # characters: less visible text than this, and scripts, is an app shell
DATA_COVERED = 0.8  # share of the data's stories the cards show for the cards (and selectors) to win


@dataclass
class Discovery:
    """What a page holds: the stories, how they were found, and the selectors when cards hold them."""

    url: str
    method: str  # "html", "json-ld", "microdata", "h-entry", "state:<where>", or "" for nothing
    items: list[RawItem]
    select: SelectConfig | None = None  # None: no selectors read these cards (use type: auto)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # why nothing was found, in one line
    language: str | None = None  # the page's <html lang>, as a two-letter code
    shell: str | None = None  # what makes the page an empty shell its scripts fill (`app_shell`)

    @property
    def recipe(self) -> str:
        """How the stories were read, compared between refreshes of a `type: auto` source."""
        if self.select is None:
            return self.method
        parts = [
            f"{name}: {getattr(self.select, name)}" for name in SELECT_FIELDS if getattr(self.select, name)
        ]
        return "html; " + "; ".join(parts)


SELECT_FIELDS = ("item", "title", "link", "summary", "date", "category", "image")


def discover_page(page: FetchedPage, source: str) -> Discovery:
    """Raise ExtractError only for a page that cannot be parsed; an empty result names its problem."""
    document = parse_html(page, source)
    base = base_url(document, page.url)
    data = structured_items(document, base, source, page.url) + state_items(document, base, source, page.url)
    reading = Page(document, page.url, base)
    facts = {"language": page_language(document), "shell": app_shell(document)}
    blocks = find_blocks(reading)
    chosen = chosen_blocks(blocks)
    single = single_cards(reading, chosen, blocks)
    news = chosen + ([single] if single is not None else [])
    candidates = [
        _block_data(block, block in news) for block in [*news, *(b for b in blocks if b not in news)][:12]
    ]
    candidates += [_data_candidate(found) for found in data]
    best_data = max(data, key=lambda found: len(found.items), default=None)
    cards = [card for block in news for card in block.cards]
    card_links = {card.link for card in cards}
    if best_data is not None:
        data_links = {item.link for item in best_data.items}
        if not cards or len(data_links & card_links) < DATA_COVERED * len(data_links):
            return Discovery(page.url, best_data.method, best_data.items, None, candidates, **facts)
    if not cards:
        problem = _why_nothing(document, page.url, base, facts["shell"])
        return Discovery(page.url, "", [], None, candidates, problem=problem, **facts)
    per_block = [(item_selector(reading, block), field_selectors(block)) for block in news]
    titles = {card.link: card.title for card in reversed(cards)}  # the first card's title
    select = _selectors(per_block, page, source, titles, reading)
    if select is not None:
        items = _stories(extract_html(page, source, select, document=reading.document))
    else:  # each block as it reads best: its own selectors, else its cards as found
        items = [
            raw
            for block, (css, fields) in zip(news, per_block, strict=True)
            for raw in _block_items(page, source, reading, block, css, fields)
        ]
    return Discovery(page.url, "html", items, select, candidates, **facts)


def _selectors(
    per_block: list[tuple[str | None, dict[str, str]]],
    page: FetchedPage,
    source: str,
    titles: dict[str, str],
    reading: Page,
) -> SelectConfig | None:
    """One select for all the news blocks, kept only when extracting with it gives the same stories."""
    items = [css for css, _ in per_block]
    if any(css is None for css in items):
        return None
    fields = [selectors for _, selectors in per_block]
    for scoped in (False, True):
        select = _joined([css for css in items if css], fields, scoped=scoped)
        if select is not None and _reproduces(page, source, select, titles, reading.document):
            return select
    return None


def _block_items(
    page: FetchedPage, source: str, reading: Page, block: Block, css: str | None, fields: dict[str, str]
) -> list[RawItem]:
    titles = {card.link: card.title for card in reversed(block.cards)}
    if css is not None:
        select = _joined([css], [fields], scoped=False)
        if select is not None and _reproduces(page, source, select, titles, reading.document):
            return _stories(extract_html(page, source, select, document=reading.document))
    return [card_item(card, source, page.url, reading.base) for card in block.cards]


def _joined(items: list[str], per_block: list[dict[str, str]], *, scoped: bool) -> SelectConfig | None:
    """Every block's selectors as one: `a, b` per field; scoped by each block's card when asked."""
    fields: dict[str, list[str]] = {}
    for item, selectors in zip(items, per_block, strict=True):
        card = item.replace(">", " ").split()[-1]
        for name, css in selectors.items():
            if css.startswith("@") and len(items) > 1:
                css = card + css  # the card itself, named so that the other blocks' cards skip it
            text = css if not scoped or len(items) == 1 else _scope(card, css)
            if text not in fields.setdefault(name, []):
                fields[name].append(text)
    if "title" not in fields and "link" not in fields:
        return None
    joined: dict[str, str] = {}
    for name, texts in fields.items():
        attributes = {text.rpartition("@")[2] if "@" in text else "" for text in texts}
        if len(attributes) > 1:
            return None  # `a@href, b` cannot be one selector
        attribute = attributes.pop()
        parts = [text.rpartition("@")[0] if attribute else text for text in texts]
        if any(not part for part in parts):
            if len(parts) > 1:
                return None
            joined[name] = f"@{attribute}"
            continue
        joined[name] = ", ".join(parts) + (f"@{attribute}" if attribute else "")
    return SelectConfig(item=", ".join(items), **joined)


def _scope(card: str, css: str) -> str:
    return css if css.startswith(card) else f"{card} {css}"


def _reproduces(
    page: FetchedPage, source: str, select: SelectConfig, titles: dict[str, str], document: HtmlElement
) -> bool:
    """Extracting with `select` gives the stories found, each with the title its first card shows."""
    try:
        found = _stories(extract_html(page, source, select, document=document))
    except (ExtractError, ValueError):
        return False
    read: dict[str, str | None] = {}
    for item in found:
        read.setdefault((item.link or "").split("#", 1)[0], item.title)
    return read == titles


def _stories(found: list[RawItem]) -> list[RawItem]:
    """The cards that are stories (a title and a link), clones included: normalizing folds them, field
    by field, as a refresh does."""
    return [item for item in found if item.link and item.title]


def _block_data(block: Block, chosen: bool) -> dict[str, Any]:
    card = block.cards[0]
    return {
        "kind": "block",
        "chosen": chosen,
        "score": block.score,
        "cards": len(block.cards),
        "element": card.element.tag
        + "".join(f".{name}" for name in (card.element.get("class") or "").split()),
        "sample": {"title": card.title, "link": card.link},
        "why": block.reasons + ([block.rejected] if block.rejected and not chosen else []),
    }


def _data_candidate(found: Found) -> dict[str, Any]:
    sample = found.items[0]
    return {
        "kind": found.method,
        "cards": len(found.items),
        "sample": {"title": sample.title, "link": sample.link},
        "why": [f"{len(found.items)} stories in the page's {found.method} data"],
    }


def page_language(document: HtmlElement) -> str | None:
    """The page's own <html lang>, as a two-letter code (the date reader's languages)."""
    code = (document.get("lang") or "").strip().lower()[:2]
    return code if code.isalpha() and len(code) == 2 else None


def app_shell(document: HtmlElement) -> str | None:
    """What makes a page an empty shell its scripts fill ("an empty shell built by JavaScript (12
    characters of text, 3 script(s))"), or None when it shows its text."""
    body = next(document.iter("body"), None)
    text = visible_text(body) if body is not None else ""
    scripts = sum(1 for _ in document.iter("script"))
    if len(text) < SHELL_TEXT and scripts:
        return f"an empty shell built by JavaScript ({len(text)} characters of text, {scripts} script(s))"
    return None


def _why_nothing(document: Any, url: str, base: str, shell: str | None) -> str:
    """One line: a saved page whose links lead nowhere, an app shell, a login wall, or no repeated
    structure."""
    if not base.startswith(("http://", "https://")):
        return (
            f"{url} is a file without <base href>: its links lead to no web address; discover the page's "
            "http(s) address instead"
        )
    if any((field.get("type") or "").lower() == "password" for field in document.iter("input")):
        return f"{url} shows a login form (a password field): newsdesk reads public pages only"
    if shell:
        return f"{url} is {shell} and carries no stories as data: it needs a browser (render: browser)"
    links = sum(1 for _ in document.iter("a"))
    return (
        f"no repeated block of story links on {url} ({links} link(s), none in cards of one shape): "
        "write its selectors by hand and check them with `newsdesk preview`"
    )
