"""Adopt a store written before migrations (newsdesk 0.1.0 and its development versions).

Those releases upgraded a store by adding whatever columns it lacked. This revision does that one last
time, against the 0.1.0 schema frozen below (later revisions change the schema, never this file), and
fills the category dates a store from before them lacks. A store created by a newer release starts at
the head revision and never runs it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

# Columns added during 0.1.0's development: nullable or defaulted, so ALTER TABLE ADD can add them.
ADDED_COLUMNS: dict[str, list[tuple[str, sa.types.TypeEngine[Any], str | None]]] = {
    "items": [("duplicate_of", sa.Integer(), None), ("signature", sa.LargeBinary(), None)],
    "item_categories": [("published", sa.DateTime(), None)],
    "sources": [
        ("last_error", sa.Text(), None),
        ("error_kind", sa.String(20), None),
        ("retry_after", sa.DateTime(), None),
        ("disabled_config", sa.String(64), None),
        ("attempts", sa.Integer(), "0"),
        ("failures_total", sa.Integer(), "0"),
    ],
    "source_pages": [
        ("last_fetch", sa.DateTime(), None),
        ("etag", sa.Text(), None),
        ("last_modified", sa.Text(), None),
        ("config_hash", sa.String(64), None),
        ("body_hash", sa.String(64), None),
    ],
}
INDEXES = (
    ("ix_items_duplicate_of", "items", ("duplicate_of",)),
    ("ix_item_categories_newest", "item_categories", ("category", "published")),
)


def _tables_added_in_development(frozen: sa.MetaData) -> None:
    """merges, alternates, robots and meta as 0.1.0 defined them."""
    sa.Table(
        "merges",
        frozen,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kept_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("merged_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "alternates",
        frozen,
        sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("other_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
    )
    sa.Table(
        "robots",
        frozen,
        sa.Column("origin", sa.String(300), primary_key=True),
        sa.Column("body", sa.Text),
        sa.Column("expires", sa.DateTime, nullable=False),
    )
    sa.Table(
        "meta",
        frozen,
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    frozen = sa.MetaData()
    sa.Table("items", frozen, sa.Column("id", sa.Integer, primary_key=True))
    _tables_added_in_development(frozen)
    for table in frozen.sorted_tables:
        if table.name != "items" and not inspector.has_table(table.name):
            table.create(conn)
    added = set()
    for table_name, columns in ADDED_COLUMNS.items():
        present = {column["name"] for column in inspector.get_columns(table_name)}
        for name, kind, default in columns:
            if name not in present:
                server_default = None if default is None else sa.text(default)
                nullable = default is None
                op.add_column(
                    table_name, sa.Column(name, kind, nullable=nullable, server_default=server_default)
                )
                added.add(f"{table_name}.{name}")
    for index_name, table_name, indexed in INDEXES:
        if index_name not in {index["name"] for index in inspector.get_indexes(table_name)}:
            op.create_index(index_name, table_name, list(indexed))
    if "item_categories.published" in added:  # each category row repeats its item's date, once
        conn.exec_driver_sql(
            "UPDATE item_categories SET published = "
            "(SELECT items.published FROM items WHERE items.id = item_categories.item_id) "
            "WHERE published IS NULL"
        )
