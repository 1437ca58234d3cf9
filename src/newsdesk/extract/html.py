"""Cards from an HTML page via the CSS selectors of config.yaml (lxml + cssselect: fast, full CSS3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from newsdesk.config import SelectConfig
from newsdesk.errors import ExtractError
from newsdesk.markup import is_hidden, visible_inner_html, visible_text
from newsdesk.models import Page, RawItem
from newsdesk.selectors import FieldSelector, parse_field_selector
from newsdesk.selectors import select as select_elements
from newsdesk.text import clean_text

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
        raise ExtractError(source, page.url, f"cannot parse HTML: {exc}") from None


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


@dataclass
class SelectorStats:
    """For `preview`: per field selector, on how many cards it found something, and on how many not."""

    cards: int = 0
    matched: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    empty: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def count(self, item: RawItem) -> None:
        self.cards += 1
        values = {
            "title": item.title,
            "link": item.link,
            "summary": item.summary,
            "category": item.categories,
            "date": item.date_text,
            "image": item.image,
        }
        for name, value in values.items():
            if value:
                self.matched[name] += 1
            else:
                self.empty[name] += 1


def extract_html(
    page: Page, source: str, select: SelectConfig, stats: SelectorStats | None = None
) -> list[RawItem]:
    document = parse_html(page, source)
    base = base_url(document, page.url)
    assert select.item is not None
    cards = select_elements(select.item, document)
    items = []
    for card in cards:
        item = _read_card(card, select, source, page.url, base)
        if stats is not None:
            stats.count(item)
        if item.title or item.link:
            items.append(item)
    return items


def _read_card(card: HtmlElement, select: SelectConfig, source: str, page_url: str, base: str) -> RawItem:
    def first(selector: str | None) -> tuple[FieldSelector, HtmlElement] | None:
        if selector is None:
            return None
        field = parse_field_selector(selector)
        for element in field.matches(card):
            if element is card or not _hidden(element, card):
                return field, element
        return None

    title = _field_text(first(select.title))
    link = _link(first(select.link), base)
    summary_found = first(select.summary)
    summary: str | None = None
    if summary_found is not None:
        field, element = summary_found
        summary = element.get(field.attribute) if field.attribute else visible_inner_html(element)
    date = _date(first(select.date))
    image = _image(first(select.image), base)
    categories = _all_texts(card, select.category)
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


def best_srcset_candidate(srcset: str) -> str | None:
    """The widest (or densest) image of a srcset: '/a.jpg 480w, /b.jpg 1200w' -> '/b.jpg'."""
    best: tuple[float, str] | None = None
    for candidate in srcset.split(","):
        parts = candidate.strip().split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1 and parts[1][:-1].replace(".", "", 1).isdigit() and parts[1][-1] in "wx":
            size = float(parts[1][:-1])
        if best is None or size > best[0]:
            best = (size, parts[0])
    return best[1] if best else None


def _placeholder(url: str) -> bool:
    lowered = url.lower()
    return lowered.startswith(("data:", "about:", "javascript:")) or any(
        marker in lowered.rsplit("/", 1)[-1] for marker in PLACEHOLDER_NAMES
    )


def _all_texts(card: HtmlElement, selector: str | None) -> tuple[str, ...]:
    if selector is None:
        return ()
    field = parse_field_selector(selector)
    texts = []
    for element in field.matches(card):
        if _hidden(element, card):
            continue
        text = clean_text(element.get(field.attribute)) if field.attribute else visible_text(element)
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
