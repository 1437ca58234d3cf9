"""Stories a page carries as data: JSON-LD, microdata, h-entry microformats, and application state
(`__NEXT_DATA__`, `window.__NUXT__`, Redux's preloaded state, any JSON in a script).

Each becomes a RawItem through one mapping of the key names sites use (`headline` or `title` or
`name`, `url` or `link` or `permalink` or `path`, ...). JavaScript object literals (unquoted keys,
trailing commas) are read with chompjs, which is built for exactly that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from newsdesk.extract.html import absolute_url
from newsdesk.markup import visible_text
from newsdesk.models import RawItem

# Key names sites give a story's fields, in English first, then French, Spanish, Italian and German.
TITLE_KEYS = ("headline", "title", "name", "heading", "label", "titre", "titulo", "título", "titolo", "titel")
LINK_KEYS = (
    "url", "link", "href", "permalink", "canonical_url", "canonicalUrl", "path", "uri", "slug",
    "lien", "enlace", "collegamento",
)  # fmt: skip
SUMMARY_KEYS = (
    "description", "summary", "excerpt", "teaser", "abstract", "subtitle", "lead", "intro", "chapo",
    "chapeau", "resume", "résumé", "extrait", "resumen", "entradilla", "extracto", "sommario", "descrizione",
    "riassunto", "beschreibung", "zusammenfassung", "anriss",
)  # fmt: skip
DATE_KEYS = (
    "datePublished", "publishedAt", "published_at", "published", "pubDate", "publishDate", "date",
    "dateCreated", "createdAt", "created_at", "startDate", "dateModified", "updatedAt", "updated_at",
    "date_publication", "datePublication", "fecha", "data", "datum",
)  # fmt: skip
IMAGE_KEYS = (
    "image", "thumbnailUrl", "thumbnail", "imageUrl", "image_url", "img", "picture", "cover", "photo",
    "visuel", "vignette", "imagen", "immagine", "bild",
)  # fmt: skip
CATEGORY_KEYS = (
    "categories", "category", "tags", "keywords", "articleSection", "section", "topics", "rubrique",
    "categorie", "catégorie", "categoria", "categoría", "kategorie", "rubrik", "etiquettes",
)  # fmt: skip
ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "Event", "ReportageNewsArticle", "AnalysisNewsArticle",
     "TechArticle", "ScholarlyArticle", "SocialMediaPosting", "PressRelease", "WebPage", "Report", "Posting"}
)  # fmt: skip
STATE_ASSIGNMENT = re.compile(r"window\.([A-Za-z_$][\w$]*)\s*=\s*(?=[\[{])")
MAX_DEPTH = 12
MAX_SCRIPT = 5_000_000  # characters: a bigger state blob is not read


@dataclass
class Found:
    """Stories read from one kind of data, named for `--json` (`json-ld`, `state:__NEXT_DATA__`)."""

    method: str
    items: list[RawItem]


def structured_items(document: HtmlElement, base: str, source: str, page_url: str) -> list[Found]:
    found = []
    jsonld = [record for record in jsonld_records(document) if _is_article(record)]
    if jsonld:
        found.append(Found("json-ld", _items(jsonld, base, source, page_url)))
    micro = list(_microdata_records(document))
    if micro:
        found.append(Found("microdata", _items(micro, base, source, page_url)))
    entries = list(_hentry_records(document))
    if entries:
        found.append(Found("h-entry", _items(entries, base, source, page_url)))
    return [entry for entry in found if entry.items]


def state_items(document: HtmlElement, base: str, source: str, page_url: str) -> list[Found]:
    """The best list of article-like records in each script that holds application state."""
    found = []
    for name, data in _state_blobs(document):
        records = _best_list(data)
        if records:
            items = _items(records, base, source, page_url)
            if items:
                found.append(Found(f"state:{name}", items))
    return found


# --- JSON-LD ---------------------------------------------------------------------------------


def jsonld_records(document: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in document.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        yield from _flatten_jsonld(data, 0)


def _flatten_jsonld(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    """Every node that may be a story: the top ones, @graph members, ItemList elements."""
    if depth > MAX_DEPTH:
        return
    if isinstance(data, list):
        for entry in data:
            yield from _flatten_jsonld(entry, depth + 1)
        return
    if not isinstance(data, dict):
        return
    if "@graph" in data:
        yield from _flatten_jsonld(data["@graph"], depth + 1)
    elements = data.get("itemListElement")
    if elements is not None:
        for element in elements if isinstance(elements, list) else [elements]:
            if isinstance(element, dict) and isinstance(element.get("item"), dict):
                merged = {"url": element.get("url"), **element["item"]}
                yield merged
            elif isinstance(element, dict):
                yield element
        return
    for key in ("mainEntity", "hasPart", "blogPost"):
        if isinstance(data.get(key), list | dict):
            yield from _flatten_jsonld(data[key], depth + 1)
    yield data


def _is_article(record: dict[str, Any]) -> bool:
    kinds = record.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if any(str(kind) in ARTICLE_TYPES for kind in kinds) or record.get("@type") == "ListItem":
        return record.get("@type") != "WebPage" or bool(record.get("headline"))
    return False


# --- microdata and h-entry -------------------------------------------------------------------


def _microdata_records(document: HtmlElement) -> Iterator[dict[str, Any]]:
    """Top-level itemscopes of an article type, with their own properties (not nested items')."""
    for scope in document.iter():
        if not isinstance(scope.tag, str) or scope.get("itemscope") is None:
            continue
        kind = (scope.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1]
        if kind not in ARTICLE_TYPES or kind == "WebPage":
            continue
        record: dict[str, Any] = {}
        for element in _own_properties(scope):
            for name in (element.get("itemprop") or "").split():
                record.setdefault(name, _microdata_value(element))
        yield record


def _own_properties(scope: HtmlElement) -> Iterator[HtmlElement]:
    for element in scope.iterdescendants():
        if not isinstance(element.tag, str) or element.get("itemprop") is None:
            continue
        owner = next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)
        if owner is scope:
            yield element


def _microdata_value(element: HtmlElement) -> str:
    """The property's value as the microdata standard reads it from each element kind."""
    tag = element.tag
    if element.get("content") is not None:
        return str(element.get("content"))
    for tags, attribute in ((("a", "area", "link"), "href"), (("img", "source", "video", "audio"), "src")):
        if tag in tags:
            return str(element.get(attribute) or "")
    if tag == "time" and element.get("datetime"):
        return str(element.get("datetime"))
    if tag in ("meta", "data", "meter"):
        return str(element.get("value") or element.get("content") or "")
    return visible_text(element)


def _hentry_records(document: HtmlElement) -> Iterator[dict[str, Any]]:
    """microformats2 h-entry (and classic hentry): p-name, u-url, dt-published, p-summary, u-photo."""
    for entry in document.iter():
        if not isinstance(entry.tag, str):
            continue
        classes = (entry.get("class") or "").split()
        if "h-entry" not in classes and "hentry" not in classes:
            continue
        record: dict[str, Any] = {}
        for element in entry.iterdescendants():
            if not isinstance(element.tag, str):
                continue
            names = set((element.get("class") or "").split())
            if names & {"p-name", "entry-title"}:
                record.setdefault("name", visible_text(element))
            if names & {"u-url", "bookmark"} or "bookmark" in (element.get("rel") or "").split():
                record.setdefault("url", element.get("href") or "")
            if names & {"dt-published", "published"}:
                record.setdefault("datePublished", element.get("datetime") or visible_text(element))
            if names & {"p-summary", "entry-summary"}:
                record.setdefault("description", visible_text(element))
            if names & {"u-photo", "u-featured"}:
                record.setdefault("image", element.get("src") or element.get("href") or "")
            if names & {"p-category"}:
                record.setdefault("tags", []).append(visible_text(element))
        if "url" not in record:
            anchor = next((a for a in entry.iter("a") if a.get("href")), None)
            if anchor is not None:
                record["url"] = anchor.get("href")
        yield record


# --- application state ---------------------------------------------------------------------


def _state_blobs(document: HtmlElement) -> Iterator[tuple[str, Any]]:
    for script in document.iter("script"):
        text = script.text or ""
        if not text.strip() or len(text) > MAX_SCRIPT:
            continue
        kind = (script.get("type") or "").strip().lower()
        if kind in ("application/json", "application/ld+json") or script.get("id") == "__NEXT_DATA__":
            if kind == "application/ld+json":
                continue
            try:
                yield script.get("id") or "json", json.loads(text)
            except (ValueError, RecursionError):
                continue
        elif kind in ("", "text/javascript", "module", "application/javascript"):
            for match in STATE_ASSIGNMENT.finditer(text):
                data = _js_object(text[match.end() :])
                if data is not None:
                    yield f"window.{match.group(1)}", data


def _js_object(text: str) -> Any:
    import chompjs

    try:
        return chompjs.parse_js_object(text)
    except (ValueError, TypeError, RecursionError):  # not an object literal; nested thousands deep
        return None


def _best_list(data: Any) -> list[dict[str, Any]]:
    """The list of dicts that looks most like stories: each has a title and a link."""
    best: list[dict[str, Any]] = []
    best_score = 0.0
    for records in _lists(data, 0):
        storied = [r for r in records if _value(r, TITLE_KEYS) and _value(r, LINK_KEYS)]
        if len(storied) < max(1, len(records) // 2):
            continue
        extras = sum(bool(_value(r, DATE_KEYS)) + bool(_value(r, SUMMARY_KEYS)) for r in storied)
        score = len(storied) * (1 + extras / len(storied))
        if score > best_score:
            best, best_score = storied, score
    return best


def _lists(data: Any, depth: int) -> Iterator[list[dict[str, Any]]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(data, list):
        dicts = [entry for entry in data if isinstance(entry, dict)]
        if dicts:
            yield dicts
        for entry in data:
            yield from _lists(entry, depth + 1)
    elif isinstance(data, dict):
        for value in data.values():
            yield from _lists(value, depth + 1)


# --- records -> raw items ------------------------------------------------------------------


def _items(records: list[dict[str, Any]], base: str, source: str, page_url: str) -> list[RawItem]:
    items = []
    seen = set()
    for record in records:
        title = text_value(_value(record, TITLE_KEYS))
        href = link_value(_value(record, LINK_KEYS))
        if not title or not href:
            continue
        link = absolute_url(base, href)
        if not link.startswith(("http://", "https://")) or link in seen:
            continue
        seen.add(link)
        image = link_value(_value(record, IMAGE_KEYS))
        items.append(
            RawItem(
                source=source,
                page_url=page_url,
                title=title,
                link=link,
                summary=text_value(_value(record, SUMMARY_KEYS)) or None,
                categories=_labels(_value(record, CATEGORY_KEYS)),
                date_text=text_value(_value(record, DATE_KEYS)) or None,
                image=absolute_url(base, image) if image else None,
                guid=text_value(record.get("id") or record.get("@id")) or None,
            )
        )
    return items


def _value(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def text_value(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("rendered") or value.get("text") or value.get("name") or value.get("@value")
    if isinstance(value, list):
        value = value[0] if value else None
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def link_value(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or value.get("href") or value.get("src")
    if isinstance(value, list):
        value = value[0] if value else None
        return link_value(value)
    return value.strip() if isinstance(value, str) else ""


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        values: list[Any] = [part for part in value.split(",")] if "," in value else [value]
    elif isinstance(value, list):
        values = value
    elif isinstance(value, dict):
        values = [value]
    else:
        return ()
    labels = [text_value(entry) for entry in values]
    return tuple(dict.fromkeys(label for label in labels if label))
