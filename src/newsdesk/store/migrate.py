"""Schema creation and upgrade, run once under the store's write lock however many processes start.

A new store is created from `schema.metadata` and stamped at the head revision; an existing one is
upgraded by Alembic (SQLAlchemy's migration tool) through `migrations/versions/`. A store already at
the head costs one small query and never imports Alembic.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsdesk.errors import StoreError
from newsdesk.store.engine import WriteLock
from newsdesk.store.schema import metadata

HEAD = "0004"  # the newest file in migrations/versions (a test checks they agree)
VERSION_TABLE = "newsdesk_schema_version"  # not alembic_version: a schema may hold another app's
# Alembic's bookkeeping table, as it creates it.
version_table = sa.Table(
    VERSION_TABLE,
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
)


def current_revision(conn: Connection) -> str | None:
    """The store's schema revision; None for an empty database or a store from before migrations."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()  # noqa: S608


def is_current(engine: Engine) -> bool:
    with engine.connect() as conn:
        return current_revision(conn) == HEAD


def create_sqlite_file(path: Path) -> None:
    """A new SQLite store appears whole: built in a private file, then linked into place, so that a
    kill at any moment leaves either no store or a complete empty one (never a file without tables)."""
    if path.exists():
        return
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    building = Path(name)
    try:
        engine = sa.create_engine(f"sqlite:///{building}")
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # a property of the file: set once
                _create(conn)
        finally:
            engine.dispose()
        try:
            os.link(building, path)  # refuses to replace a store another process made meanwhile
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: the store is then created in place
            pass
    finally:
        building.unlink(missing_ok=True)


def _create(conn: Connection) -> None:
    """Today's tables, stamped at the head as `alembic stamp` would (Alembic is not even imported)."""
    metadata.create_all(conn)
    version_table.create(conn)
    conn.execute(version_table.insert().values(version_num=HEAD))


def prepare_schema(lock: WriteLock) -> None:
    """Create or upgrade the schema; two processes starting together do it once, in turn."""
    if is_current(lock.engine):
        return
    with lock.transaction() as conn:
        revision = current_revision(conn)
        if revision == HEAD:
            return  # another process did it while this one waited for the lock
        if revision is None and not sa.inspect(conn).has_table("items"):
            _create(conn)  # a new store on a database server: one transaction
            return
        if revision is not None and revision > HEAD:
            raise StoreError(
                f"the store's schema is revision {revision}, newer than this newsdesk knows ({HEAD}): "
                "upgrade newsdesk"
            )
        _upgrade(conn)


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are not for maintainers
    config = AlembicConfig()
    config.set_main_option("script_location", "newsdesk.store:migrations")
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
