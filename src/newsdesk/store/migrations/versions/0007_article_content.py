"""A story's full text, when enrichment read it from its article page (`enrich: [content]`)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("items")}
    if "content_html" not in columns:  # a store adopted from before migrations has today's schema
        with op.batch_alter_table("items") as table:
            table.add_column(sa.Column("content_html", sa.Text, nullable=False, server_default=""))
