"""Schema creation and upgrade, run once under the store's write lock however many processes start.

A new store is created from `schema.metadata` and stamped at the head revision; an existing one is
upgraded by Alembic (SQLAlchemy's migration tool) through `migrations/versions/`. A store already at
the head costs one small query and imports neither SQLAlchemy nor Alembic; nor does a new SQLite file,
made from `schema.sql`, the statements SQLAlchemy sends for `schema.metadata` on SQLite, kept beside it
(a test checks that the two agree; `sqlite_schema_script` writes it again).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.errors import DatabaseError, StoreError
from newsdesk.store.database import Conn, Database, store_failure

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from newsdesk.store.engine import WriteLock

SQLITE_SCHEMA = Path(__file__).with_name("schema.sql")
HEAD = "0007"  # the newest file in migrations/versions (a test checks they agree)
VERSION_TABLE = "newsdesk_schema_version"  # not alembic_version: a schema may hold another app's


def current_revision(conn: Conn) -> str | None:
    """The store's schema revision; None for an empty database or a store from before migrations."""
    if not conn.has_table(VERSION_TABLE):
        return None
    revision: str | None = conn.scalar(f"SELECT version_num FROM {VERSION_TABLE}")
    return revision


def prepare_schema(db: Database) -> None:
    """Create or upgrade the schema; two processes starting together do it once, in turn."""
    if db.path is not None and not db.path.exists():
        create_sqlite_file(db.path)
    with db.read() as conn:
        if current_revision(conn) == HEAD:
            return
    from sqlalchemy.exc import SQLAlchemyError

    from newsdesk.store.engine import WriteLock, database_engine

    engine = database_engine(db.url)
    try:
        _prepare(WriteLock(engine))
    except SQLAlchemyError as exc:
        raise DatabaseError(store_failure(exc)) from exc
    finally:
        engine.dispose()


def _version_table() -> sa.Table:
    """Alembic's bookkeeping table, as it creates it."""
    import sqlalchemy as sa

    return sa.Table(
        VERSION_TABLE,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )


def _revision(conn: Connection) -> str | None:
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()


def create_sqlite_file(path: Path) -> None:
    """A new SQLite store appears whole: built in a private file, then linked into place, so that a
    kill at any moment leaves either no store or a complete empty one (never a file without tables)."""
    if path.exists():
        return
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    building = Path(name)
    try:
        conn = sqlite3.connect(building, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # a property of the file: set once
            conn.executescript(SQLITE_SCHEMA.read_text(encoding="utf-8"))
        finally:
            conn.close()
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
    from newsdesk.store.schema import metadata

    metadata.create_all(conn)
    version_table = _version_table()
    version_table.create(conn)
    conn.execute(version_table.insert().values(version_num=HEAD))


def sqlite_schema_script() -> str:
    """What `schema.sql` holds: today's tables as SQLAlchemy creates them on SQLite, stamped at the head.

    Write it again after a change to schema.py (`m` being this module):
        m.SQLITE_SCHEMA.write_text(m.sqlite_schema_script())
    """
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as folder:
        engine = sa.create_engine(f"sqlite:///{folder}/schema.db")
        try:
            with engine.begin() as conn:
                _create(conn)
                found = conn.exec_driver_sql(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
                ).all()
            # Each table, then its indexes by name (SQLAlchemy creates those in no fixed order).
            tables = [row for row in found if row.type == "table"]
            indexes = sorted((row for row in found if row.type != "table"), key=lambda row: row.name)
            ordered = [
                row for table in tables for row in (table, *(i for i in indexes if i.tbl_name == table.name))
            ]
            statements = [line.rstrip() for row in ordered for line in f"{row.sql};".splitlines()]
        finally:
            engine.dispose()
    return "\n".join([
        f"-- newsdesk's schema at revision {HEAD} on SQLite, made by store.migrate.sqlite_schema_script()",
        "BEGIN;",
        *statements,
        f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('{HEAD}');",
        "COMMIT;",
        "",
    ])  # fmt: skip


def _prepare(lock: WriteLock) -> None:
    import sqlalchemy as sa

    with lock.transaction() as conn:
        revision = _revision(conn)
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
