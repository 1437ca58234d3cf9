"""What an article page says of itself: its date, image and summary, each with where it came from.

Surest first: JSON-LD (`datePublished` before `dateModified`), then OpenGraph and `article:*` meta,
then `<time datetime>`, then the text: a "Published on ..." line read by newsdesk's date reader (five
languages), else htmldate; trafilatura for the main text when nothing else gives a summary. htmldate
and trafilatura are imported only when a page needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from newsdesk.extract.discover.records import ARTICLE_TYPES, jsonld_records, link_value, text_value
from newsdesk.extract.html import absolute_url, base_url, decode_html, parse_html
from newsdesk.markup import visible_text
from newsdesk.models import Page

SUMMARY_CHARS = 400  # a summary from the main text: its first sentences, not the article
MAX_CONTENT = 100_000  # characters of main text kept as a story's content
MIN_PARAGRAPH = 60  # characters: shorter lines of the main text are headings and bylines
# "Publié le 3 mars 2026", "Veröffentlicht am 14. November 2026": the label before a date in the text.
PUBLISHED_LABEL = re.compile(
    r"\b(?:published|posted|publié|mis en ligne|veröffentlicht|erschienen|publicado|pubblicato)"
    r"(?:\s+(?:on|le|am|el|il|the))?\s*:?\s*(?P<date>[^|·•\n]{6,40})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Found:
    value: str
    origin: str  # json-ld, opengraph, meta, time, text, htmldate, trafilatura


@dataclass(frozen=True)
class ArticleFacts:
    date: Found | None = None
    image: Found | None = None
    summary: Found | None = None
    content: Found | None = None  # the main text as HTML paragraphs

    def get(self, name: str) -> Found | None:
        found: Found | None = getattr(self, name, None)
        return found


def read_article(page: Page, source: str, *, language: str, wanted: tuple[str, ...]) -> ArticleFacts:
    """The wanted facts (trafilatura reads the main text only when a summary or the content needs
    it); raise ExtractError only for a page that is not HTML at all."""
    document = parse_html(page, source)
    base = base_url(document, page.url)
    record = _main_record(document)
    meta = _meta(document)
    main_text = _MainText(page)
    return ArticleFacts(
        date=_date(document, record, meta, page, language) if "date" in wanted else None,
        image=_image(record, meta, base) if "image" in wanted else None,
        summary=_summary(record, meta, main_text) if "summary" in wanted else None,
        content=_content(main_text) if "content" in wanted else None,
    )


class _MainText:
    """The article's main text as trafilatura finds it, read once and only when asked for."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._paragraphs: list[str] | None = None

    @property
    def paragraphs(self) -> list[str]:
        """Its paragraphs, without the short lines around them (a repeated headline, a byline)."""
        if self._paragraphs is None:
            import trafilatura

            text = trafilatura.extract(decode_html(self._page), include_comments=False, include_tables=False)
            lines = (" ".join(line.split()) for line in (text or "").splitlines())
            self._paragraphs = [line for line in lines if len(line) >= MIN_PARAGRAPH]
        return self._paragraphs


def _main_record(document: HtmlElement) -> dict[str, Any] | None:
    """The page's own article in its JSON-LD: the first article-typed node with a headline or date."""
    for record in jsonld_records(document):
        kinds = record.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(str(kind) in ARTICLE_TYPES for kind in kinds) and (
            record.get("datePublished") or record.get("headline")
        ):
            return record
    return None


def _meta(document: HtmlElement) -> dict[str, str]:
    """<meta property|name=... content=...>, first value of each, names lowercased."""
    found: dict[str, str] = {}
    for element in document.iter("meta"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        content = (element.get("content") or "").strip()
        if name and content:
            found.setdefault(name, content)
    return found


def _date(
    document: HtmlElement, record: dict[str, Any] | None, meta: dict[str, str], page: Page, language: str
) -> Found | None:
    if record:
        for key in ("datePublished", "dateCreated", "dateModified"):
            value = text_value(record.get(key))
            if value:
                return Found(value, "json-ld")
    for key in ("article:published_time", "og:published_time", "datepublished", "date", "dc.date"):
        if meta.get(key):
            return Found(meta[key], "opengraph" if ":" in key else "meta")
    time = _first_time(document)
    if time is not None:
        return Found(time, "time")
    return _text_date(document, page, language)


def _first_time(document: HtmlElement) -> str | None:
    """The <time datetime> of the article: a published one first, else the first in the content."""
    times = [element for element in document.iter("time") if element.get("datetime")]
    for element in times:
        marks = " ".join(
            filter(None, (element.get("class"), element.get("itemprop"), element.get("pubdate")))
        )
        if "publish" in marks.lower() or element.get("pubdate") is not None:
            return str(element.get("datetime"))
    for container in ("article", "main"):
        for parent in document.iter(container):
            inner = next((element for element in parent.iter("time") if element.get("datetime")), None)
            if inner is not None:
                return str(inner.get("datetime"))
    return str(times[0].get("datetime")) if times else None


def _text_date(document: HtmlElement, page: Page, language: str) -> Found | None:
    from newsdesk.normalize.dates import parse_date

    body = next(document.iter("body"), None)
    text = visible_text(body) if body is not None else ""
    for match in PUBLISHED_LABEL.finditer(text):
        words = match.group("date").split()
        for length in range(len(words), 0, -1):  # "3 de noviembre de 2026 por la Oficina" -> the date
            candidate = " ".join(words[:length])
            if parse_date(candidate, language=language, now=page.fetched_at) is not None:
                return Found(candidate, "text")
    import htmldate

    found = htmldate.find_date(decode_html(page), original_date=True, outputformat="%Y-%m-%d")
    return Found(found, "htmldate") if found else None


def _image(record: dict[str, Any] | None, meta: dict[str, str], base: str) -> Found | None:
    if record and link_value(record.get("image")):
        return Found(absolute_url(base, link_value(record.get("image"))), "json-ld")
    for key in ("og:image", "og:image:url", "twitter:image"):
        if meta.get(key):
            return Found(absolute_url(base, meta[key]), "opengraph")
    return None


def _summary(record: dict[str, Any] | None, meta: dict[str, str], main: _MainText) -> Found | None:
    if record and text_value(record.get("description")):
        return Found(text_value(record.get("description")), "json-ld")
    for key, origin in (("og:description", "opengraph"), ("description", "meta")):
        if meta.get(key):
            return Found(" ".join(meta[key].split()), origin)
    text = " ".join(main.paragraphs)
    if not text:
        return None
    if len(text) > SUMMARY_CHARS:
        cut = text.rfind(" ", 0, SUMMARY_CHARS)
        text = text[: cut if cut > 0 else SUMMARY_CHARS].rstrip(",;:") + " …"
    return Found(text, "trafilatura")


def _content(main: _MainText) -> Found | None:
    """The main text as escaped paragraphs: no markup of the page's own reaches a feed."""
    import html

    paragraphs, size = [], 0
    for paragraph in main.paragraphs:
        size += len(paragraph)
        if size > MAX_CONTENT:
            break
        paragraphs.append(f"<p>{html.escape(paragraph, quote=False)}</p>")
    return Found("\n".join(paragraphs), "trafilatura") if paragraphs else None
