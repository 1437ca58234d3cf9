"""The bundled example's English and French pages tell four stories in both languages: each pair is
linked with hreflang alternates in the published Atom, and nothing else is."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from example_site import example_config
from newsdesk.config import load_config
from newsdesk.pipeline import run

from helpers import Clock

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = "https://www.ensta.example"
PAIRS = {
    frozenset({f"{SITE}/en/news/{en}", f"{SITE}/fr/actualites/{fr}"})
    for en, fr in [
        ("what-if-we-put-wind-turbines-in-the-sky", "et-si-on-mettait-des-eoliennes-dans-le-ciel"),
        ("dg-sur-ecoute-interview-with-estelle-iacona", "dg-sur-ecoute-entretien-avec-estelle-iacona"),
        (
            "metal-recycling-towards-greener-and-more-efficient-methods",
            "recyclage-des-metaux-methodes-plus-vertes",
        ),
        ("three-new-dual-degree-agreements-europe-africa", "trois-nouveaux-doubles-diplomes-europe-afrique"),
    ]
}


def translation_links(atom: bytes) -> set[frozenset[str]]:
    """Each entry's own link with each of its hreflang alternates."""
    links: set[frozenset[str]] = set()
    for entry in etree.fromstring(atom).iter(f"{ATOM}entry"):
        alternates = [e for e in entry.iter(f"{ATOM}link") if e.get("rel", "alternate") == "alternate"]
        (own,) = [e.get("href") for e in alternates if not e.get("hreflang")]
        links.update(frozenset({str(own), str(e.get("href"))}) for e in alternates if e.get("hreflang"))
    return links


def test_the_example_links_its_four_translated_stories_and_nothing_else(tmp_path: Path) -> None:
    config = load_config(example_config(tmp_path, f"sqlite:///{tmp_path}/state/newsdesk.db"))
    assert not run(config, now=Clock()).failed
    assert translation_links((config.output_dir / "all.atom").read_bytes()) == PAIRS
