"""Refreshes on several machines: the workers' heartbeats, the refresh tasks sent to them, and the
per-host limits they share when no Redis holds them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # A store adopted from before migrations (0001) may have them already: today's schema made it.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "workers" not in existing:
        _workers()
    if "tasks" not in existing:
        _tasks()
    if "host_slots" not in existing:
        _host_limits()


def _workers() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("started", sa.DateTime, nullable=False),
        sa.Column("heartbeat", sa.DateTime, nullable=False),
        sa.Column("stopped", sa.DateTime),
    )


def _tasks() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("queued", sa.DateTime, nullable=False),
        sa.Column("started", sa.DateTime),
        sa.Column("finished", sa.DateTime),
        sa.Column("worker", sa.String(200)),
        sa.Column("deliveries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_tasks_source_queued", "tasks", ["source", "queued"])
    op.create_index("ix_tasks_state", "tasks", ["state"])


def _host_limits() -> None:
    op.create_table(
        "host_slots",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("expires", sa.DateTime, nullable=False),
    )
    op.create_table(
        "host_starts",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("next_start", sa.DateTime, nullable=False),
    )
