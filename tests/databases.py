"""The databases the store's tests run on: SQLite always, and PostgreSQL (NEWSDESK_TEST_POSTGRES, else
the local one at 127.0.0.1:5432).

Each PostgreSQL test gets a schema of its own (dropped afterwards), chosen through the connection's
search_path in the URL, so a config, a subprocess and the test's own checks all see the same tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from newsdesk.store.engine import with_driver

POSTGRES_ENV = "NEWSDESK_TEST_POSTGRES"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"  # the machine's own, when none is named
BACKENDS = ("sqlite", "postgresql")


def postgres_base_url() -> str:
    """The PostgreSQL to test on: NEWSDESK_TEST_POSTGRES, else the local one."""
    return os.environ.get(POSTGRES_ENV) or LOCAL_POSTGRES  # postgres_schema skips when it does not answer


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh, empty schema; yields a URL whose connections use it."""
    name = f"nd_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(with_driver(base_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = (
            f"PostgreSQL at {base_url} does not answer: {str(exc.orig).strip().splitlines()[0]} "
            f"(set {POSTGRES_ENV} to a running one)"
        )
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
        admin.dispose()


@contextmanager
def database_for(backend: str, folder: os.PathLike[str] | str) -> Iterator[str]:
    """A SQLAlchemy URL of an empty store on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{os.fspath(folder)}/state/newsdesk.db"
        return
    with postgres_schema(postgres_base_url()) as url:
        yield url
