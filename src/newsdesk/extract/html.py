"""Cards from an HTML page via the CSS selectors of config.yaml (lxml + cssselect: fast, full CSS3)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from newsdesk.config import SelectConfig
from newsdesk.errors import ExtractError, SelectorSyntaxError
from newsdesk.markup import is_hidden, visible_inner_html, visible_text
from newsdesk.models import Page, RawItem
from newsdesk.selectors import FieldSelector, parse_field_selector
from newsdesk.selectors import select as select_elements
from newsdesk.text import clean_text

MAX_CARDS = 2000
DOCUMENT_MATCH_LIMIT = 50_000  # elements; above it, field selectors only look inside each card
log = logging.getLogger("newsdesk")
IMAGE_ATTRIBUTES = ("data-lazy-src", "data-src", "data-original", "src")
SRCSET_ATTRIBUTES = ("data-lazy-srcset", "data-srcset", "srcset")
PLACEHOLDER_NAMES = ("placeholder", "blank.", "spacer.", "pixel.", "transparent.", "lazy.", "1x1")


def decode_html(page: Page) -> str:
    """BOM, then HTTP charset, then <meta>, then UTF-8 when valid, else windows-1252 (HTML standard)."""
    text: str
    _, text = html_to_unicode(page.content_type or None, page.body, auto_detect_fun=_utf8_or_windows_1252)
    return text.replace("\x00", "")


def absolute_url(base: str, href: str) -> str:
    """urljoin, with fast paths for the two shapes most card links have (absolute, root-relative)."""
    if href.startswith(("https://", "http://")):
        return href
    if href.startswith("/") and not href.startswith("//") and "/." not in href and "\\" not in href:
        scheme, _, rest = base.partition("://")
        if rest:
            return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}{href}"
    return urljoin(base, href)


def _utf8_or_windows_1252(body: bytes) -> str:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def parse_html(page: Page, source: str) -> HtmlElement:
    text = decode_html(page)
    if not text.strip():
        raise ExtractError(source, page.url, "the page is empty")
    try:
        # The text is decoded already: tell libxml2 so a <meta charset> cannot make it decode twice.
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        document: HtmlElement = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
        return document
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(source, page.url, f"cannot parse HTML: {exc}") from exc


def base_url(document: HtmlElement, page_url: str) -> str:
    """The document's <base href> resolved against the page URL; comments and templates don't count."""
    for element in document.iter("base"):
        if any(parent.tag == "template" for parent in element.iterancestors()):
            continue
        href = str(element.get("href") or "").strip()
        if href:
            return urljoin(page_url, href)
    return page_url


FIELDS = ("title", "link", "summary", "category", "date", "image")


def extract_html(
    page: Page, source: str, select: SelectConfig, *, document: HtmlElement | None = None
) -> list[RawItem]:
    """One RawItem per card the item selector matched, empty ones included (`preview` counts them;
    `extract.is_item` drops them). `document`: the page already parsed (discovery tries many selects)."""
    document = parse_html(page, source) if document is None else document
    base = base_url(document, page.url)
    assert select.item is not None
    cards = select_elements(select.item, document)
    if len(cards) > MAX_CARDS:
        # A page of 100,000 "cards" is an attack or a wrong selector, not news: read the first ones.
        log.warning("source %r %s: %d cards, reading the first %d", source, page.url, len(cards), MAX_CARDS)
        cards = cards[:MAX_CARDS]
    fields = FieldMatches(document, select)
    read: dict[bytes, RawItem] = {}  # a carousel's clone is read once: same markup, same card
    found = []
    for card in cards:
        markup = etree.tostring(card, with_tail=False) if fields.inside_only else None
        item = read.get(markup) if markup is not None else None
        if item is None:
            fields.looked_outside = False
            item = _read_card(card, fields, source, page.url, base)
            if markup is not None and not fields.looked_outside:
                read[markup] = item
        found.append(item)
    return found


class FieldMatches:
    """Field selectors run inside each card first (fast); when that finds nothing, they run once over
    the whole document, as a browser's querySelectorAll does, so `.widget li > a` still works inside a
    card that is the `li`. Whole-document runs are skipped on huge pages, where libxml2's XPath
    gets slow: there the card-local answer stands."""

    def __init__(self, document: HtmlElement, select: SelectConfig) -> None:
        self.document = document
        self.selectors: dict[str, FieldSelector] = {}
        self._document_matches: dict[str, set[HtmlElement]] = {}
        self._document_allowed: bool | None = None
        self.looked_outside = False  # a field was looked for over the whole document
        for name in FIELDS:
            text = getattr(select, name)
            if text is not None:
                self.selectors[name] = parse_field_selector(text)
        # Without pseudo-classes and sibling combinators, what a field selector matches in a card
        # depends on the card's own markup only (unless it had to look over the whole document):
        # two cards of the same markup then read the same.
        self.inside_only = not any(
            set(selector.css) & set(":+~") for selector in self.selectors.values() if selector.css
        )

    def _in_document(self, name: str, css: str) -> set[HtmlElement]:
        self.looked_outside = True
        if self._document_allowed is None:
            self._document_allowed = sum(1 for _ in self.document.iter()) <= DOCUMENT_MATCH_LIMIT
        if not self._document_allowed:
            return set()
        if name not in self._document_matches:
            self._document_matches[name] = set(select_elements(css, self.document))
        return self._document_matches[name]

    def all(self, name: str, card: HtmlElement, *, visible: bool) -> list[tuple[FieldSelector, HtmlElement]]:
        """Matches of field `name` inside `card` (the card itself included), in document order.

        `visible` drops what is hidden inside the card: text a reader never sees. Links and images
        under aria-hidden (a thumbnail link, say) are still on screen, so they do not ask for it.
        """
        selector = self.selectors.get(name)
        if selector is None:
            return []
        if selector.css is None:
            return [(selector, card)]
        found = select_elements(selector.css, card)
        if not found:
            matches = self._in_document(name, selector.css)
            found = [element for element in card.iter() if element in matches] if matches else []
        return [
            (selector, element)
            for element in found
            if not visible or element is card or not _hidden(element, card)
        ]

    def first(
        self, name: str, card: HtmlElement, *, visible: bool
    ) -> tuple[FieldSelector, HtmlElement] | None:
        found = self.all(name, card, visible=visible)
        return found[0] if found else None


def _read_card(card: HtmlElement, fields: FieldMatches, source: str, page_url: str, base: str) -> RawItem:
    title = _field_text(fields.first("title", card, visible=True))
    link = _link(fields.first("link", card, visible=False), base)
    summary_found = fields.first("summary", card, visible=True)
    summary: str | None = None
    if summary_found is not None:
        selector, element = summary_found
        summary = element.get(selector.attribute) if selector.attribute else visible_inner_html(element)
    date = _date(fields.first("date", card, visible=True))
    image = _image(fields.first("image", card, visible=False), base)
    categories = _all_texts(fields.all("category", card, visible=True))
    return RawItem(
        source=source,
        page_url=page_url,
        title=title or None,
        link=link,
        summary=summary,
        summary_is_html=summary_found is not None and summary_found[0].attribute is None,
        categories=categories,
        date_text=date,
        image=image,
    )


def _field_text(found: tuple[FieldSelector, HtmlElement] | None) -> str:
    if found is None:
        return ""
    field, element = found
    if field.attribute:
        return clean_text(element.get(field.attribute))
    return visible_text(element)


def _link(found: tuple[FieldSelector, HtmlElement] | None, base: str) -> str | None:
    if found is None:
        return None
    field, element = found
    if field.attribute:
        href = element.get(field.attribute)
    elif element.get("href") is not None:
        href = element.get("href")
    else:
        anchor = next(element.iter("a"), None)
        href = anchor.get("href") if anchor is not None else visible_text(element)
    href = (href or "").strip()
    return absolute_url(base, href) if href else None


def _date(found: tuple[FieldSelector, HtmlElement] | None) -> str | None:
    """The attribute when present (e.g. time@datetime), else the text a reader sees."""
    if found is None:
        return None
    field, element = found
    if field.attribute and element.get(field.attribute):
        return clean_text(element.get(field.attribute))
    if not field.attribute and element.get("datetime"):
        return clean_text(element.get("datetime"))
    return visible_text(element) or None


def _image(found: tuple[FieldSelector, HtmlElement] | None, base: str) -> str | None:
    """The real image: the named attribute unless it is a placeholder, then the best srcset
    candidate, data-lazy-src, data-src, src (lazy-loading themes put a blank GIF in src)."""
    if found is None:
        return None
    selector, element = found
    if element.tag != "img" and not selector.attribute:
        element = next(element.iter("img"), element)
    candidates: list[str | None] = []
    if selector.attribute:
        candidates.append(element.get(selector.attribute))
    for name in SRCSET_ATTRIBUTES:
        candidates.append(best_srcset_candidate(element.get(name) or ""))
    parent = element.getparent()
    if parent is not None and parent.tag == "picture":
        for source_element in parent.iter("source"):
            candidates.append(best_srcset_candidate(source_element.get("srcset") or ""))
    candidates.extend(element.get(name) for name in IMAGE_ATTRIBUTES)
    for value in candidates:
        value = str(value or "").strip()
        if value and not _placeholder(value):
            return absolute_url(base, value)
    return None


def image_url(element: HtmlElement, base: str) -> str | None:
    """The real image of an <img> (or of the first one inside), as the `image` field reads it."""
    return _image((FieldSelector(None, None), element), base)


def best_srcset_candidate(srcset: str) -> str | None:
    """The widest (or densest) image of a srcset: '/a.jpg 480w, /b.jpg 1200w' -> '/b.jpg'.

    Parsed as the HTML standard says: a URL runs to the next whitespace (commas inside it, as in
    image-CDN URLs, belong to it); a URL ending with commas has no descriptors.
    """
    best: tuple[float, str] | None = None
    position, length = 0, len(srcset)
    while position < length:
        while position < length and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < length and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        if not url:
            break
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth, start = 0, position
            while position < length and (srcset[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(srcset[position], 0)
                position += 1
            descriptor = srcset[start:position].strip()
        size = 1.0
        if descriptor[-1:] in ("w", "x") and descriptor[:-1].replace(".", "", 1).isdigit():
            size = float(descriptor[:-1])
        if url and (best is None or size > best[0]):
            best = (size, url)
    return best[1] if best else None


def _placeholder(url: str) -> bool:
    lowered = url.lower()
    return lowered.startswith(("data:", "about:", "javascript:")) or any(
        marker in lowered.rsplit("/", 1)[-1] for marker in PLACEHOLDER_NAMES
    )


def _all_texts(found: list[tuple[FieldSelector, HtmlElement]]) -> tuple[str, ...]:
    texts: list[str] = []
    for selector, element in found:
        text = clean_text(element.get(selector.attribute)) if selector.attribute else visible_text(element)
        if text and text not in texts:
            texts.append(text)
    return tuple(texts)


def _hidden(element: HtmlElement, card: HtmlElement) -> bool:
    """Hidden inside the card (hidden / aria-hidden=true); the card itself may be a hidden clone."""
    node: HtmlElement | None = element
    while node is not None and node is not card:
        if is_hidden(node):
            return True
        node = node.getparent()
    return False


# --- what a person would try next when the item selector matches nothing (`preview`) --------------

CSS_IDENTIFIER = re.compile(r"^-?[_a-zA-Z][-_a-zA-Z0-9]*$")
MIN_REPEATS = 3
MAX_CANDIDATES = 5
NOT_CARDS = frozenset({"html", "head", "body", "option", "script", "style", "template", "noscript", "br"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class RepeatedBlock:
    """Elements of one tag and class that repeat under one parent and hold a link: likely cards."""

    selector: str
    count: int  # elements the selector matches in the whole page
    sample: str  # the text a reader sees in the first one (its heading's when it has one)
    score: float = field(default=0.0, compare=False)


def repeated_blocks(document: HtmlElement, limit: int = MAX_CANDIDATES) -> list[RepeatedBlock]:
    """The selectors of blocks that repeat at least three times under one parent and contain a link,
    best first: news cards carry a heading, a date, an image or some text, menu entries only a link."""
    groups: dict[tuple[HtmlElement, str, tuple[str, ...]], list[HtmlElement]] = {}
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        parent = element.getparent()
        if not tag or tag in NOT_CARDS or parent is None:
            continue
        classes = tuple(name for name in (element.get("class") or "").split() if CSS_IDENTIFIER.match(name))
        groups.setdefault((parent, tag, classes), []).append(element)
    best: dict[str, RepeatedBlock] = {}
    for (parent, tag, classes), elements in groups.items():
        linked = [element for element in elements if _has_link(element)]
        if len(linked) < MIN_REPEATS:
            continue
        selector = _block_selector(parent, tag, classes)
        try:
            count = len(select_elements(selector, document))
        except SelectorSyntaxError:
            continue
        block = RepeatedBlock(selector, count, _sample(linked[0]), _card_score(linked))
        if selector not in best or block.score > best[selector].score:
            best[selector] = block
    return sorted(best.values(), key=lambda block: -block.score)[:limit]


def _has_link(element: HtmlElement) -> bool:
    return any(anchor.get("href") is not None for anchor in element.iter("a"))


def _block_selector(parent: HtmlElement, tag: str, classes: tuple[str, ...]) -> str:
    """`article.news-card`; a bare tag is qualified by its parent (`ul.news > li`)."""
    if classes:
        return tag + "".join(f".{name}" for name in classes)
    parent_id = parent.get("id") or ""
    if CSS_IDENTIFIER.match(parent_id):
        return f"#{parent_id} > {tag}"
    parent_classes = [name for name in (parent.get("class") or "").split() if CSS_IDENTIFIER.match(name)]
    return f"{parent.tag}{''.join(f'.{name}' for name in parent_classes)} > {tag}"


def _card_score(elements: list[HtmlElement]) -> float:
    """How much the elements look like news cards: how many, and what each carries besides a link."""
    features = 0.0
    for element in elements:
        tags = {child.tag for child in element.iter() if isinstance(child.tag, str)}
        features += bool(tags & HEADINGS) + bool(tags & {"time"}) + bool(tags & {"img", "picture"})
        features += len(visible_text(element)) >= 60
    return len(elements) * (1 + features / len(elements))


def _sample(element: HtmlElement) -> str:
    heading = next((child for child in element.iter() if child.tag in HEADINGS), None)
    return visible_text(heading if heading is not None else element)
