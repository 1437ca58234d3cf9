"""The database schema (SQLAlchemy Core) as the current release writes it.

A new store is created from these tables; an older one is brought here by the migrations
(`store/migrations/versions/`), which keep their own frozen copy of what they change.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

items_table = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.String(200), nullable=False, unique=True),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary_html", sa.Text, nullable=False),
    sa.Column("summary_text", sa.Text, nullable=False),
    # The full text of the story's article page, when enrichment read it (else empty).
    sa.Column("content_html", sa.Text, nullable=False, default="", server_default=""),
    sa.Column("image", sa.Text),
    sa.Column("language", sa.String(20), nullable=False),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("date_from_source", sa.Boolean, nullable=False),
    sa.Column("updated", UTCDateTime, nullable=False, index=True),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    # Where the story stood when first seen (source's place in the config, then page order): stories
    # first seen in one refresh with one date keep the order the site gave them.
    sa.Column("seen_rank", sa.BigInteger, nullable=False, default=0, server_default="0"),
    sa.Column("content_source", sa.Text, nullable=False),  # source and page of the text
    sa.Column("content_hash", sa.String(40), nullable=False),
    sa.Column("sources", sa.Text, nullable=False),
    # Near-duplicates: a row merged into another story keeps its own data but is not published.
    sa.Column("duplicate_of", sa.Integer, index=True),
    sa.Column("signature", sa.LargeBinary),
    # Translation candidates: each other language's stories near a date, without walking the others.
    sa.Index("ix_items_language_published", "language", "published"),
)


def not_merged() -> sa.ColumnElement[bool]:
    """`duplicate_of IS NULL`, written so no planner picks the duplicate_of index for it: nearly every
    row matches, so with a date range beside it, the range must drive the query (else: a full scan)."""
    return sa.func.coalesce(items_table.c.duplicate_of, 0) == 0


merges_table = sa.Table(
    "merges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kept_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("merged_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

alternates_table = sa.Table(
    "alternates",
    metadata,
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("other_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
)

item_keys_table = sa.Table(
    "item_keys",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),  # a URL key has no length limit
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
)

item_categories_table = sa.Table(
    "item_categories",
    metadata,
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category", sa.Text, primary_key=True, index=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    # The item's `published`, repeated here so a category's newest items come off one index in order:
    # publishing reads as many rows as it publishes, whatever the size of the history.
    sa.Column("published", UTCDateTime),
    sa.Index("ix_item_categories_newest", "category", "published"),
)

sources_table = sa.Table(
    "sources",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("last_attempt", UTCDateTime),
    sa.Column("last_success", UTCDateTime),
    sa.Column("failures", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("error_kind", sa.String(20)),
    sa.Column("retry_after", UTCDateTime),
    sa.Column("disabled_config", sa.String(64)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("failures_total", sa.Integer, nullable=False, default=0, server_default="0"),
)

pages_table = sa.Table(
    # One row per page *of a source*: two sources may read one page with different selectors.
    "source_pages",
    metadata,
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("item_count", sa.Integer, nullable=False, default=0),
    sa.Column("last_fetch", UTCDateTime),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("config_hash", sa.String(64)),
    sa.Column("body_hash", sa.String(64)),
)

robots_table = sa.Table(
    "robots",
    metadata,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("body", sa.Text),
    sa.Column("expires", UTCDateTime, nullable=False),
)

changes_table = sa.Table(
    # The categories each write touched, in commit order: every daemon sharing the store publishes
    # what any of them changed (its own output folder stays current), from its own id watermark.
    "changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("categories", sa.Text, nullable=False),  # JSON list
    sa.Column("at", UTCDateTime, nullable=False, index=True),
)

category_labels_table = sa.Table(
    # A category made from a page label is shown with the label as the site wrote it ("Événement"),
    # its id being an ASCII slug ("evenement"). `label` is the last segment's label.
    "category_labels",
    metadata,
    sa.Column("category", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
)

meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

workers_table = sa.Table(
    # Each `newsdesk worker` (Celery node) beats here; status and /metrics show who is alive.
    "workers",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("started", UTCDateTime, nullable=False),
    sa.Column("heartbeat", UTCDateTime, nullable=False),
    sa.Column("stopped", UTCDateTime),
)

tasks_table = sa.Table(
    # One row per refresh sent to the workers: queued by the scheduler, then running, ok or failed.
    # The scheduler sends no second task for a source while one is queued or running.
    "tasks",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("queued", UTCDateTime, nullable=False),
    sa.Column("started", UTCDateTime),
    sa.Column("finished", UTCDateTime),
    sa.Column("worker", sa.String(200)),
    sa.Column("deliveries", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Index("ix_tasks_source_queued", "source", "queued"),
    sa.Index("ix_tasks_state", "state"),
)

host_slots_table = sa.Table(
    # Per-host limits shared by every worker when no Redis holds them: a request holds a slot (a
    # lease, freed by a worker that died once it expires) and the host's next start is spaced.
    "host_slots",
    metadata,
    sa.Column("host", sa.String(300), primary_key=True),
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("expires", UTCDateTime, nullable=False),
)

host_starts_table = sa.Table(
    "host_starts",
    metadata,
    sa.Column("host", sa.String(300), primary_key=True),
    sa.Column("next_start", UTCDateTime, nullable=False),
)
