"""Schema migrations: a store written by 0.1.0 upgrades in place on both backends, a new store starts at
the head, processes starting together create or upgrade once, and a newer store is refused in one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from example_site import example_config
from newsdesk.config import load_config
from newsdesk.errors import StoreError
from newsdesk.pipeline import open_store, run
from newsdesk.store import Store
from newsdesk.store.engine import with_driver
from newsdesk.store.migrate import HEAD, SQLITE_SCHEMA, VERSION_TABLE, sqlite_schema_script
from newsdesk.store.schema import metadata

from databases import BACKENDS, database_for
from helpers import FIXTURES, Clock

STORES = FIXTURES / "stores"
NEWSDESK = str(Path(sys.executable).parent / "newsdesk")


def revision(url: str) -> str | None:
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM newsdesk_schema_version")).scalar()
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[object]:
    """What the upgraded store lacks or has beyond the current schema (column types on PostgreSQL only:
    SQLite keeps whatever type name a column was created with, and enforces none)."""
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": conn.dialect.name != "sqlite",
                    "compare_server_default": False,
                    "version_table": VERSION_TABLE,
                },
            )
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    # 0.1.0 named no constraints and indexes it did not need; what matters is tables, columns, types.
    return [d for d in diffs if not (isinstance(d, tuple) and d[0] in {"add_index", "remove_index"})]


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(with_driver(url))
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("items", "item_keys", "item_categories", "alternates", "sources", "meta")
            }
    finally:
        engine.dispose()


def test_head_is_the_newest_revision() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", "newsdesk.store:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_the_sqlite_schema_file_is_what_sqlalchemy_creates_today(tmp_path: Path) -> None:
    assert SQLITE_SCHEMA.read_text(encoding="utf-8") == sqlite_schema_script(), (
        "store/schema.sql is stale: write it again as sqlite_schema_script's docstring says"
    )
    url = f"sqlite:///{tmp_path / 'new.db'}"
    config = load_config(example_config(tmp_path / "site", url))
    open_store(config, Clock()()).close()
    assert revision(url) == HEAD
    assert schema_differences(url) == []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            indexes = {i["name"] for table in metadata.tables for i in sa.inspect(conn).get_indexes(table)}
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()
    assert indexes == {index.name for table in metadata.tables.values() for index in table.indexes}
    assert mode == "wal"


@pytest.fixture(params=BACKENDS)
def old_store(request: pytest.FixtureRequest, tmp_path: Path):
    """A copy of the store newsdesk 0.1.0 wrote over the bundled example, on each backend."""
    with database_for(request.param, tmp_path) as url:
        if request.param == "sqlite":
            target = Path(sa.make_url(url).database or "")
            target.parent.mkdir(parents=True)
            shutil.copy(STORES / "newsdesk-0.1.0.db", target)
        else:
            schema = sa.make_url(url).query["options"].split("=")[1]
            dump = (STORES / "newsdesk-0.1.0.postgresql.sql").read_text(encoding="utf-8")
            engine = sa.create_engine(with_driver(url))
            with engine.begin() as conn:
                conn.connection.driver_connection.execute(dump.replace("fx010", schema))  # type: ignore[union-attr]
            engine.dispose()
        yield url


def test_a_store_written_by_0_1_0_upgrades_in_place(old_store: str, tmp_path: Path) -> None:
    before = counts(old_store)
    assert before["items"] == 15 and revision_or_none(old_store) is None
    config = load_config(example_config(tmp_path / "site", old_store))
    open_store(config, Clock()()).close()
    assert revision(old_store) == HEAD
    assert schema_differences(old_store) == []
    assert counts(old_store) == before  # nothing stored is lost
    report = run(config, now=Clock())
    assert sum(r.result.new for r in report.refreshes) == 0  # every story already known
    assert not report.failed and not report.publish.errors
    assert counts(old_store)["items"] == 15


def revision_or_none(url: str) -> str | None:
    try:
        return revision(url)
    except sa.exc.ProgrammingError:
        return None
    except sa.exc.OperationalError:
        return None


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_store_starts_at_the_head_with_the_current_schema(backend: str, tmp_path: Path) -> None:
    with database_for(backend, tmp_path) as url:
        store = Store(url, site_host="news.example.org")
        store.create(Clock()())
        store.close()
        assert revision(url) == HEAD
        assert schema_differences(url) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_starting_together_create_the_store_once(backend: str, tmp_path: Path) -> None:
    with database_for(backend, tmp_path) as url:
        config = example_config(tmp_path / "site", url)
        go = tmp_path / "go"
        script = (
            "import sys, time, pathlib\n"
            "from newsdesk.config import load_config\n"
            "from newsdesk.pipeline import open_store, utc_now\n"
            "config = load_config(sys.argv[1])\n"
            "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
            "open_store(config, utc_now()).close()\n"
        )
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(config), str(go)], stderr=subprocess.PIPE, text=True
            )
            for _ in range(4)
        ]
        go.touch()
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
        assert all(code == 0 for code, _ in results), results
        assert revision(url) == HEAD
        assert counts(url)["meta"] == 1  # 'created', written once


def test_a_store_newer_than_this_release_is_refused_in_one_line(tmp_path: Path) -> None:
    config = example_config(tmp_path, f"sqlite:///{tmp_path}/state/newsdesk.db")
    store = open_store(load_config(config), Clock()())
    with store.db.write() as conn:
        conn.execute("UPDATE newsdesk_schema_version SET version_num = '9999'")
    store.close()
    with pytest.raises(StoreError, match="revision 9999, newer than this newsdesk knows"):
        open_store(load_config(config), Clock()())
    result = subprocess.run(
        [NEWSDESK, "run", "--config", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    message = (
        f"the store's schema is revision 9999, newer than this newsdesk knows ({HEAD}): upgrade newsdesk"
    )
    assert result.stderr.strip().splitlines() == [f"newsdesk: {message}"]
