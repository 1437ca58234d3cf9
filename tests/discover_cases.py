"""The pages `discover` is scored on, with what each really lists, and the scoring itself.

Two sets: the real pages other projects keep as fixtures (../shared/discover-corpus, never copied here;
their recorded expectation is one extractor's opinion, corrected below where it is wrong, each with its
reason), and pages of our own writing under tests/fixtures/discover/ (each with an `.expected.json`).
Used by tests/test_discover_corpus.py and by bench/discover.py, which prints the per-page table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "discover-corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "discover"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the fixtures' "today", for relative dates


@dataclass
class Case:
    name: str
    path: Path
    url: str
    language: str
    links: list[str]  # every story the page lists, in page order
    titles: dict[str, str] = field(default_factory=dict)  # link -> title, where known
    dates: dict[str, str] = field(default_factory=dict)  # link -> YYYY-MM-DD in the page's zone
    by_path: bool = False  # compare paths: the recording resolved links against the wrong host
    precision: bool = True  # False: only some of the stories are known, extra items cannot be judged
    timezone: str = "UTC"
    why: str = ""


def corpus_cases() -> Iterator[Case]:
    """The real pages, each scored against what it lists (hand_read where the recording is partial
    or wrong)."""
    for entry in json.loads((CORPUS / "cases.json").read_text(encoding="utf-8")):
        expected = entry["expected"]
        url = entry["page_url"] or expected["base_url"]
        hand = entry.get("hand_read")
        links = list(dict.fromkeys(hand["links"] if hand else expected["links"]))
        titles = dict(zip(hand["links"], hand["titles"], strict=False)) if hand and hand.get("titles") else {}
        if not titles and expected["titles"]:
            titles = dict(zip(expected["links"], expected["titles"], strict=False))
        case = Case(
            entry["file"].removesuffix(".html"), CORPUS / entry["file"], url, entry["language"], links, titles
        )
        case.precision = entry["expected"]["asserted"] != "first item only (articles[0])" or bool(hand)
        _correct(case, entry)
        case.dates = _dates_read_by_hand(case)
        yield case


def _correct(case: Case, entry: dict[str, object]) -> None:
    """Where the recording is not what the page lists (see the corpus README), what it does list."""
    if case.name == "paulgraham-com-articles":
        # The intro sentence repeats 3 essays of the table; the footer "RSS feed" link is no essay.
        case.links = [link for link in case.links if not link.endswith("/rss.html")]
        case.why = "the 193 essays of the table (recording: + the RSS link)"
    elif case.name in ("telepolis-de", "open-spotify-com-show"):
        case.by_path = True
        case.why = "compared by path (recording resolved against the wrong host)"
        if case.name == "telepolis-de":
            lead = "/tp/features/Nieten-Loser-und-Versager-Und-das-Bundeswehrmodel-Markus-Soeder-4959467.html"
            case.links.insert(0, "https://www.heise.de" + lead)
            case.why += "; + the lead teaser the recording misses"
    elif case.name == "derstandard-at":
        # A multi-section front page: every teaser's story is a story of the page.
        html = case.path.read_text(encoding="utf-8")
        found = re.findall(
            r'href="(?:https://www\.derstandard\.at)?(/(?:story|jetzt/livebericht)/\d+/[^"#?]+)"', html
        )
        case.links = list(dict.fromkeys("https://www.derstandard.at" + path for path in found))
        case.precision = True
        case.why = "every /story/ and live report link of the front page (recording: the first only)"
    elif case.name == "html2rss-wordpress-api-index":
        # The second item comes from the /wp-json/ API, which is not here: the page shows one post.
        case.links = case.links[:1]
        case.titles = {link: title for link, title in case.titles.items() if link in case.links}
        case.why = "the one post the HTML shows (the other is in the WordPress API, not here)"


# The dates five of the pages show beside each story, as I read them in their markup: the card, its
# story link, the element with the date (and its attribute), and the date's format there.
HAND_DATES = {
    "gohugo-io-news": ("div.mb2", "h1 a", "date", None, "%B %d, %Y"),
    "developers-googleblog-com": ("div.post", "h2.title a", ".publishdate", None, "%A, %B %d, %Y"),
    "brandonsmith-ninja": ("li", "a.post-preview", "time", "datetime", "%B %d, %Y"),
    "craigslist-abilene-jobs": (
        "li.result-row",
        "a.result-title",
        "time.result-date",
        "datetime",
        "%Y-%m-%d %H:%M",
    ),
    "jon-bo-posts": ("div.post", "a", ".post-date", None, "%Y-%m-%d"),
}


def _dates_read_by_hand(case: Case) -> dict[str, str]:
    if case.name not in HAND_DATES:
        return {}
    import lxml.html

    card_css, link_css, date_css, attribute, form = HAND_DATES[case.name]
    document = lxml.html.document_fromstring(case.path.read_bytes(), base_url=case.url)
    document.make_links_absolute(case.url)
    dates = {}
    for card in document.cssselect(card_css):
        links, found = card.cssselect(link_css), card.cssselect(date_css)
        if links and found:
            text = found[0].get(attribute) if attribute else found[0].text_content()
            day = datetime.strptime(" ".join(text.split()), form).date().isoformat()
            dates.setdefault(links[0].get("href").split("#")[0], day)
    return dates


def fixture_cases() -> Iterator[Case]:
    for expected_file in sorted(FIXTURES.glob("*.expected.json")):
        data = json.loads(expected_file.read_text(encoding="utf-8"))
        items = data["items"]
        yield Case(
            expected_file.name.removesuffix(".expected.json"),
            expected_file.with_name(expected_file.name.removesuffix(".expected.json") + ".html"),
            data["url"],
            data["language"],
            [item["link"] for item in items],
            {item["link"]: item["title"] for item in items},
            {item["link"]: item["date"] for item in items if item.get("date")},
            timezone=data.get("timezone", "UTC"),
        )


@dataclass
class Score:
    name: str
    expected: int
    found: int
    hits: int
    extra: int | None
    titles_right: int
    titles_known: int
    dates_right: int
    dates_known: int
    method: str
    seconds: float = 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0


def key(link: str, by_path: bool) -> str:
    parts = urlsplit(link)
    path = parts.path.rstrip("/") or "/"
    query = "&".join(segment for segment in parts.query.split("&") if segment)
    query = f"?{query}" if query else ""
    return path + query if by_path else f"{parts.scheme}://{parts.netloc}{path}{query}"


def score(case: Case, items: list[dict[str, str | None]], method: str) -> Score:
    """Recall and extra items by link; titles exact; dates as the day in the page's zone."""
    want = {key(link, case.by_path): link for link in case.links}
    got: dict[str, dict[str, str | None]] = {}
    for item in items:
        if item.get("url"):
            got.setdefault(key(str(item["url"]), case.by_path), item)
    hits = [k for k in want if k in got]
    titles = {key(link, case.by_path): title for link, title in case.titles.items()}
    dates = {key(link, case.by_path): day for link, day in case.dates.items()}
    return Score(
        case.name,
        len(want),
        len(got),
        len(hits),
        len(set(got) - set(want)) if case.precision else None,
        sum(1 for k, title in titles.items() if k in got and got[k].get("title") == title),
        len(titles),
        sum(1 for k, day in dates.items() if k in got and (got[k].get("day") or "") == day),
        len(dates),
        method,
    )


def run_case(case: Case) -> Score:
    """`discover` on the page as if fetched from its address at NOW; its stories as the entry yields
    them (normalized and folded as a refresh does), scored."""
    import time

    from newsdesk.config import Config, SiteConfig, SourceConfig
    from newsdesk.dedup.identity import collapse
    from newsdesk.extract.discover import discover_page
    from newsdesk.models import Item, Page
    from newsdesk.normalize.dates import parse_date
    from newsdesk.normalize.item import Normalizer

    started = time.perf_counter()
    page = Page(case.url, 200, {"content-type": "text/html"}, case.path.read_bytes(), NOW)
    discovery = discover_page(page, "discovered")
    config = Config(
        site=SiteConfig(title="t", url="https://news.example.org/", author="a", timezone=case.timezone)
    )
    source = SourceConfig(name="discovered", type="auto", url=case.url, language=case.language)
    normalizer = Normalizer.for_source(config, source)
    items = collapse([item for raw in discovery.items if (item := normalizer.normalize(raw, NOW))])
    zone = ZoneInfo(case.timezone)

    def shown(item: Item) -> datetime | None:
        """The date the page shows: the publication date, or an agenda's date ahead of it."""
        if item.future_date:
            return parse_date(item.future_date, language=case.language, now=NOW, timezone=case.timezone)
        return item.published

    found: list[dict[str, str | None]] = [
        {
            "url": item.url,
            "title": item.title,
            "day": day.astimezone(zone).date().isoformat() if (day := shown(item)) else None,
        }
        for item in items
    ]
    result = score(case, found, discovery.method + ("" if discovery.select or not found else " (auto)"))
    result.seconds = time.perf_counter() - started
    return result
