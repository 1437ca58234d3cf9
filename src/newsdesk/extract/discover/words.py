"""What discovery reads in names and words: page chrome, utility links, generated class names, in
the five languages the date reader knows."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from newsdesk.markup import visible_text

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Link texts that are actions or navigation, never a story's title.
UTILITY_TEXT = re.compile(
    r"^\s*(?:read more|more|continue reading|learn more|see more|view all|see all|all news|more news|"
    r"comments?|\d+\s+comments?|share|tweet|share on \w+|next|previous|prev|older posts?|newer posts?|"
    r"lire la suite|en savoir plus|voir plus|suite|toutes les actualités|partager|suivant|précédent|"
    r"weiterlesen|mehr|mehr lesen|alle news|teilen|weiter|zurück|"
    r"leer más|ver más|más|compartir|siguiente|anterior|todas las noticias|"
    r"leggi tutto|leggi di più|scopri di più|altro|condividi|successivo|precedente|tutte le notizie|"
    r"pdf|ps|other|html|epub|download|télécharger|herunterladen|descargar|scarica|"
    r"(?:see |view |read )?all (?:the |our )?(?:news|stories|posts|articles|events)|"
    r"(?:voir )?(?:toutes les|tous les) (?:actualités|actus|articles|événements)|"
    r"alle (?:nachrichten|meldungen|artikel|beiträge|termine)|"
    r"(?:ver )?(?:todas las|todos los) (?:noticias|artículos|eventos)|"
    r"(?:vedi )?(?:tutte le|tutti gli) (?:notizie|news|articoli|eventi)|"
    r"[«»<>←→‹›]+|\d{1,3}|[.…]+)\s*[»>→…]?\s*$",
    re.IGNORECASE,
)
# Class, id or role words of the parts of a page that are not its content.
CHROME = re.compile(
    r"(?:^|[-_\s])(nav|navbar|navigation|menu|menubar|footer|header|masthead|breadcrumbs?|pagination|"
    r"pager|share|sharing|social|cookie|cookies|consent|banner|skip|toolbar|language|lang-switch|"
    r"sitemap|tagcloud|login|signin|account|ad|ads|advert|advertisement|sponsored|promo|adsense)(?:$|[-_\s])",
    re.IGNORECASE,
)
ASIDE = "in an <aside>"
# The same inside a card: what is not the story's own content.
CARD_CHROME = re.compile(
    r"(?:^|[-_\s])(share|sharing|social|cookie|consent|ad|ads|advert|advertisement|sponsored|promo|"
    r"adsense|comments?|menu|nav)(?:$|[-_\s])",
    re.IGNORECASE,
)
CHROME_TAGS = {"nav": "in a <nav>", "footer": "in a <footer>", "header": "in a page <header>"}
# Class names made by tools, or that say a state, not a kind: not stable across deploys or cards.
GENERATED = re.compile(
    r"^(?:css|sc|jsx|svelte|emotion|styled|tw)-[-_a-zA-Z0-9]{4,}$|"
    r"[a-zA-Z]+__[a-zA-Z]+___[-_a-zA-Z0-9]{5}$|"  # CSS modules: Card__title___3xY2z
    r"^[a-zA-Z]{1,3}[0-9][-_a-zA-Z0-9]{3,}$|"  # hashes: a1b2c3
    r"^_[-_a-zA-Z0-9]{5,}$|"
    r"\d{3,}"
)
STATE = re.compile(
    r"^(?:active|current|selected|first|last|odd|even|clone|cloned|hidden|visible|open|closed|"
    r"(?:is|has|js)-[-\w]*|(?:swiper-slide|slick|owl|glide|splide|carousel-item|slide)-?"
    r"(?:cloned?|current|active|duplicate|next|prev|visible|center)|aos-[-\w]*|animate\w*|fade\w*|show|in)$",
    re.IGNORECASE,
)
CSS_IDENTIFIER = re.compile(r"^-?[_a-zA-Z][-_a-zA-Z0-9]*$")
# Classes a CMS gives each card after its own data (WordPress: `category-research tag-ocean format-video
# status-publish`): they differ from card to card of one list.
PER_CARD = re.compile(
    r"^(?:category|categorie|categoria|kategorie|cat|tag|tags|topic|format|status|type|term|taxonomy|"
    r"rubrique|lang|author|year|month)-",
    re.IGNORECASE,
)


def stable_classes(element: HtmlElement) -> list[str]:
    """The element's class names that name a kind of thing: no generated hashes, no state, no BEM
    modifier (`card--featured` is still a `card`), none a CMS gives after the card's own data."""
    return [
        name
        for name in (element.get("class") or "").split()
        if CSS_IDENTIFIER.match(name)
        and "--" not in name
        and not GENERATED.search(name)
        and not STATE.match(name)
        and not PER_CARD.match(name)
    ]


def stable_id(element: HtmlElement) -> str | None:
    value = (element.get("id") or "").strip()
    if value and CSS_IDENTIFIER.match(value) and not re.search(r"\d", value) and not GENERATED.search(value):
        return value
    return None


def is_heading(element: HtmlElement) -> bool:
    return element.tag in HEADINGS or element.get("role") == "heading"


def chrome_reason(element: HtmlElement, stop: HtmlElement | None = None) -> tuple[str, float] | None:
    """Why an element is page chrome (a menu, a footer, a share bar, a sidebar), when it is, and how
    much that lowers a block's score. `stop`: look no higher than this ancestor, a card, whose own
    header and footer (`card-header`, `div.footer` with the date) are content: inside a card only share
    bars, ads and the like are chrome."""
    if stop is not None:
        return _chrome_in_card(element, stop)
    for node in (element, *element.iterancestors()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("main", "article"):
            return None
        if tag in CHROME_TAGS and not (tag != "nav" and _in_content(node)) and not _holds_page(node):
            return CHROME_TAGS[tag], 0.1
        if tag == "aside":
            return ASIDE, 0.7
        role = node.get("role") or ""
        if role in ("navigation", "contentinfo", "banner", "menu", "menubar"):
            return f'in role="{role}"', 0.1
        words = " ".join(filter(None, (node.get("class"), node.get("id"))))
        match = CHROME.search(words)
        if match:
            where = f"{tag}#{node.get('id')}" if node.get("id") else tag
            return f"in a {match.group(1).lower()} ({where})", 0.1
    return None


def _chrome_in_card(element: HtmlElement, card: HtmlElement) -> tuple[str, float] | None:
    for node in (element, *element.iterancestors()):
        if node is card:
            return None
        if node.tag == "nav" or node.get("role") in ("navigation", "menu", "menubar"):
            return "in a menu of the card", 0.1
        match = CARD_CHROME.search(" ".join(filter(None, (node.get("class"), node.get("id")))))
        if match:
            return f"in a {match.group(1).lower()} of the card", 0.1
    return None


def _holds_page(node: HtmlElement) -> bool:
    """A <header> or <footer> that holds most of the page is a wrapper, not chrome."""
    body = next(node.iterancestors("body"), None)
    if body is None:
        return False
    length = _BODY_TEXT.get(body)
    if length is None:  # one page at a time; threads that race only count again
        length = len(visible_text(body))
        _BODY_TEXT.clear()
        _BODY_TEXT[body] = length
    return len(visible_text(node)) > 0.5 * length


_BODY_TEXT: dict[HtmlElement, int] = {}


def _in_content(header: HtmlElement) -> bool:
    """A <header> or <footer> inside an article or a card belongs to that content, not to the page."""
    return any(parent.tag in ("article", "section", "li", "main") for parent in header.iterancestors())
