"""Labels of the categories made from page labels, as the sites wrote them (ids are ASCII slugs)."""

from __future__ import annotations

from collections.abc import Iterable

from newsdesk.normalize.categories import label_preference
from newsdesk.store.database import Conn, placeholders


def save_labels(conn: Conn, labels: Iterable[tuple[str, str]]) -> set[str]:
    """Keep each category's preferred label; returns the categories whose label changed."""
    wanted: dict[str, str] = {}
    for category, label in labels:
        if category not in wanted or label_preference(label) > label_preference(wanted[category]):
            wanted[category] = label
    if not wanted:
        return set()
    among, params = placeholders("category", wanted)
    stored = {
        row.category: row.label
        for row in conn.rows(f"SELECT category, label FROM category_labels WHERE category IN {among}", params)
    }
    changed: set[str] = set()
    for category, label in wanted.items():
        before = stored.get(category)
        if before is None:
            conn.execute(
                "INSERT INTO category_labels (category, label) VALUES (:category, :label)",
                {"category": category, "label": label},
            )
        elif label_preference(label) > label_preference(before):
            conn.execute(
                "UPDATE category_labels SET label = :label WHERE category = :category",
                {"category": category, "label": label},
            )
        else:
            continue
        changed.add(category)
    return changed


def all_labels(conn: Conn) -> dict[str, str]:
    return {row.category: row.label for row in conn.rows("SELECT category, label FROM category_labels")}
