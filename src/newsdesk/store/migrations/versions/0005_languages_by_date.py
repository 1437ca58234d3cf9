"""Stories by language and date.

Translation candidates are the stories of *other* languages near a date. Read off the date index alone,
that query walks every story of those days (10,000 rows for a store of 1,000 one-language sources) to
return none; with `(language, published)` it seeks each other language's days directly.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index("ix_items_language_published", "items", ["language", "published"])
