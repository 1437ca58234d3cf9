"""Labels of the categories made from page labels, as the sites wrote them (ids are ASCII slugs)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsdesk.normalize.categories import label_preference
from newsdesk.store.schema import category_labels_table


def save_labels(conn: Connection, labels: Iterable[tuple[str, str]]) -> set[str]:
    """Keep each category's preferred label; returns the categories whose label changed."""
    wanted: dict[str, str] = {}
    for category, label in labels:
        if category not in wanted or label_preference(label) > label_preference(wanted[category]):
            wanted[category] = label
    if not wanted:
        return set()
    table = category_labels_table
    query = sa.select(table.c.category, table.c.label).where(table.c.category.in_(wanted))
    stored = {row.category: row.label for row in conn.execute(query)}
    changed: set[str] = set()
    for category, label in wanted.items():
        before = stored.get(category)
        if before is None:
            conn.execute(table.insert().values(category=category, label=label))
        elif label_preference(label) > label_preference(before):
            conn.execute(table.update().where(table.c.category == category).values(label=label))
        else:
            continue
        changed.add(category)
    return changed


def all_labels(conn: Connection) -> dict[str, str]:
    table = category_labels_table
    return {row.category: row.label for row in conn.execute(sa.select(table.c.category, table.c.label))}
