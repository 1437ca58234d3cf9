"""CategoryResolver: labels as sites write them -> canonical category ids from config.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.config import parse_config
from newsdesk.normalize.categories import CategoryResolver, ancestors, category_for_unknown_label

CONFIG = """\
site:
  title: News
  url: https://news.example.org/
  author: Comms
categories:
  - id: company/innovation
    aliases: ["Company | Innovation", "Entreprise | Innovation"]
  - id: research
    title: Research and science
    aliases: [Recherche]
  - id: press
    title: Press releases
"""


@pytest.fixture
def resolver(tmp_path: Path) -> CategoryResolver:
    return CategoryResolver(parse_config(CONFIG, tmp_path / "config.yaml"))


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Company | Innovation", "company/innovation"),
        ("Company\n   |  Innovation", "company/innovation"),
        ("company | innovation", "company/innovation"),
        ("ENTREPRISE | innovation", "company/innovation"),
        ("  Entreprise\u00a0|\tInnovation  ", "company/innovation"),
        ("Recherche", "research"),
        ("RECHERCHE", "research"),
        # the id and the title match too
        ("company/innovation", "company/innovation"),
        ("Company - Innovation", "company/innovation"),  # the default title from the id
        ("research", "research"),
        ("Research and science", "research"),
        ("press", "press"),
        ("Press Releases", "press"),
        # another hierarchy separator than the alias's
        ("Entreprise > Innovation", "company/innovation"),
        ("Company » Innovation", "company/innovation"),
    ],
)
def test_known_labels_resolve_to_their_category(
    resolver: CategoryResolver, label: str, category: str
) -> None:
    assert resolver.resolve([label])[:2] == ((category,), ())


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Student life | Clubs", "student-life/clubs"),
        ("Student life > Clubs", "student-life/clubs"),
        ("Student life » Clubs", "student-life/clubs"),
        ("Student life/Clubs", "student-life-clubs"),  # "/" is not a hierarchy: "24/7", "AI/ML"
        ("Vie étudiante", "vie-etudiante"),
        ("Élèves & Alumni", "eleves-alumni"),
        ("  Events!  ", "events"),
    ],
)
def test_unknown_labels_become_new_categories(resolver: CategoryResolver, label: str, category: str) -> None:
    assert resolver.resolve([label])[:2] == ((category,), (category,))


def test_labels_with_no_letters_or_digits_are_dropped(resolver: CategoryResolver) -> None:
    assert resolver.resolve(["", "   ", "|", "!!!", " > "])[:2] == ((), ())


def test_repeated_labels_give_one_id_in_label_order(resolver: CategoryResolver) -> None:
    labels = ["Recherche", "Press releases", "research", "RECHERCHE ", "Clubs", "clubs", "CLUBS"]
    assert resolver.resolve(labels)[:2] == (("research", "press", "clubs"), ("clubs",))


def test_known_and_unknown_labels_mix(resolver: CategoryResolver) -> None:
    found, invented, _ = resolver.resolve(["Student life | Clubs", "Entreprise | Innovation"])
    assert found == ("student-life/clubs", "company/innovation")
    assert invented == ("student-life/clubs",)


def test_no_labels_no_categories(resolver: CategoryResolver) -> None:
    assert resolver.resolve([])[:2] == ((), ())


def test_known_ids(resolver: CategoryResolver) -> None:
    assert resolver.known == {"company/innovation", "research", "press"}


def test_without_categories_every_label_is_new(tmp_path: Path) -> None:
    config = parse_config(CONFIG.split("categories:")[0], tmp_path / "config.yaml")
    assert CategoryResolver(config).resolve(["Research"])[:2] == (("research",), ("research",))


def test_unknown_label_slug() -> None:
    assert category_for_unknown_label("Student life | Clubs") == "student-life/clubs"
    assert category_for_unknown_label("Vie étudiante") == "vie-etudiante"
    assert category_for_unknown_label("|") is None


@pytest.mark.parametrize(
    ("category", "chain"),
    [
        ("a/b/c", ["a/b/c", "a/b", "a"]),
        ("company/innovation", ["company/innovation", "company"]),
        ("research", ["research"]),
    ],
)
def test_ancestors(category: str, chain: list[str]) -> None:
    assert ancestors(category) == chain


def test_unknown_child_of_a_known_label_stays_under_its_category(resolver: CategoryResolver) -> None:
    assert resolver.resolve(["Recherche | Océanographie"])[:2] == (
        ("research/oceanographie",),
        ("research/oceanographie",),
    )
