"""Identity keys and category ids without a length limit.

0.1.0 declared `item_keys.key` VARCHAR(600) and `item_categories.category` VARCHAR(200). SQLite ignores
those lengths, PostgreSQL enforces them: a story whose canonical URL is longer than 596 characters
failed its whole refresh there. TEXT on every backend (SQLite's column types are left as they are: it
stores any length, and rewriting a table there would copy the whole history for nothing).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("item_keys", "key", type_=sa.Text(), existing_nullable=False)
    op.alter_column("item_categories", "category", type_=sa.Text(), existing_nullable=False)
