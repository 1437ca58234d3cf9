"""Page order and labels as written.

`items.seen_rank`: stories first seen in one refresh with one date (undated cards, most often) keep the
order of the page and of the source list instead of a random one. `category_labels`: a category made
from a page label is shown as the site wrote it ("Höhenpark Killesberg"), not from its slug.
Existing stories get rank 0 (their order among themselves stays as it was decided by id).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("items", sa.Column("seen_rank", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "category_labels",
        sa.Column("category", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
    )
