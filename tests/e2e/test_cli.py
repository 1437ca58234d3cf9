"""The command line as a maintainer uses it: real subprocesses over the bundled example."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer

from helpers import EXAMPLES, ROOT

NEWSDESK = str(Path(sys.executable).parent / "newsdesk")


def newsdesk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEWSDESK, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped config.yaml and bundled example site."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def feed_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.atom"))}


def test_run_twice_gives_byte_identical_feeds(project: Path) -> None:
    first = newsdesk("run", cwd=project)
    assert first.returncode == 0, first.stderr
    feeds = feed_files(project / "feeds")
    assert {"all.atom", "company.atom", "company-innovation.atom", "research.atom"} <= set(feeds)
    for name, content in feeds.items():
        parsed = feedparser.parse(content)
        assert not parsed.bozo, name
        assert parsed.entries, f"{name} is empty"
    all_entries = feedparser.parse(feeds["all.atom"]).entries
    links = [e.link for e in all_entries]
    assert len(links) == len(set(links))  # carousel clones and cross-source repeats merged
    assert "refresh site-en" in first.stderr
    second = newsdesk("run", cwd=project)
    assert second.returncode == 0, second.stderr
    assert feed_files(project / "feeds") == feeds
    assert "published 0 file(s)" in second.stderr


def test_python_dash_m_and_config_option(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", "run", "-q", "--config", str(project / "config.yaml")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (project / "feeds" / "all.atom").exists()  # output is relative to the config's folder
    assert not (elsewhere / "feeds").exists()


def test_failed_source_exits_1_with_one_line_and_still_publishes(
    project: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    url = httpserver.url_for("/down")
    config = project / "config.yaml"
    config.write_text(
        config.read_text() + f"  - name: broken\n    type: feed\n    url: {url}\n", encoding="utf-8"
    )
    result = newsdesk("run", "-q", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"newsdesk: source 'broken' {url}: HTTP 503 SERVICE UNAVAILABLE"
    ]
    assert feedparser.parse((project / "feeds" / "all.atom").read_bytes()).entries


def test_bad_config_exits_2_with_file_line_and_key(project: Path) -> None:
    config = project / "config.yaml"
    text = config.read_text().replace("      item: article.news-teaser\n", "", 1)
    config.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip() == "select:")
    for command in (["run"], ["check"], ["preview", "site-en"]):
        result = newsdesk(*command, cwd=project)
        assert result.returncode == 2
        assert (
            result.stderr.strip() == f"config.yaml:{line} sources[0].select.item: required for an html source"
        )
        assert "Traceback" not in result.stderr


def test_missing_config_and_bad_usage(tmp_path: Path) -> None:
    missing = newsdesk("run", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "config.yaml: cannot read config: No such file or directory"
    usage = newsdesk("frobnicate", cwd=tmp_path)
    assert usage.returncode == 2


def test_check_ok_and_lists_invented_categories(project: Path) -> None:
    result = newsdesk("check", cwd=project)
    assert result.returncode == 0
    assert result.stdout.startswith("config.yaml: OK (4 sources")
    config = project / "config.yaml"
    config.write_text(config.read_text().replace('aliases: ["International"]', 'aliases: ["Worldwide"]'))
    assert newsdesk("run", "-q", cwd=project).returncode == 0
    result = newsdesk("check", cwd=project)
    assert "category 'international'" not in result.stdout  # still configured by id
    original = config.read_text()
    block = '  - id: student-life\n    title: Student life\n    aliases: ["Student life", "Vie étudiante"]\n'
    assert block in original
    config.write_text(original.replace(block, '  - id: campus\n    title: Campus\n    aliases: ["Campus"]\n'))
    assert newsdesk("run", "-q", cwd=project).returncode == 0
    result = newsdesk("check", cwd=project)
    assert "note: category 'student-life'" in result.stdout
    # following the advice: make the label an alias; the stored items move, the note goes
    config.write_text(
        original.replace(block, '  - id: campus\n    title: Campus\n    aliases: ["Student life"]\n')
    )
    assert newsdesk("run", "-q", cwd=project).returncode == 0
    assert "note:" not in newsdesk("check", cwd=project).stdout
    assert "Robotics club" in (project / "feeds" / "campus.atom").read_text()


def test_preview_prints_a_table_and_stores_nothing(project: Path) -> None:
    result = newsdesk("preview", "site-fr", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CATEGORY", "DATE", "TITLE", "SUMMARY", "LINK", "IMAGE"]
    assert any("Et si on mettait des éoliennes dans le ciel" in line for line in lines)
    assert any(line.startswith("company/innovation  20 novembre 2026") for line in lines)  # the site's day
    (page_row,) = [line.split() for line in lines if line.startswith("file://")]
    assert page_row[0].endswith("/fr/index.html") and page_row[1:] == ["8", "4"]  # cards, items
    assert not (project / "state").exists()
    assert not (project / "feeds").exists()
    unknown = newsdesk("preview", "nope", cwd=project)
    assert unknown.returncode == 2
    assert "no source named 'nope'" in unknown.stderr


def test_preview_json_reports_each_selector_and_unparsed_dates(project: Path) -> None:
    import json

    result = newsdesk("preview", "site-en", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"] == "site-en" and data["cards"] == 15
    assert data["selectors"]["item"] == {"selector": "article.news-teaser", "matched": 15}
    assert data["selectors"]["date"]["matched"] == 13 and data["selectors"]["date"]["empty"] == 2
    assert data["selectors"]["title"]["empty"] == 0
    assert len(data["items"]) == 7
    assert data["unparsed_dates"] == []
    text = newsdesk("preview", "site-en", cwd=project).stdout
    assert any(line.split() == ["date", "time@datetime", "13", "2", "0"] for line in text.splitlines())


WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None  # as on a machine without the postgres extra\n"
    "from newsdesk.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.parametrize("command", ["check", "run", "status", "daemon"])
def test_postgresql_without_its_driver_is_one_line_and_exit_2(project: Path, command: str) -> None:
    config = project / "config.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "database: state/newsdesk.db", "database: postgresql://news@db.example.org/news"
    )
    config.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, command, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    problem = "the postgresql driver 'psycopg' is not installed (pip install 'newsdesk[postgres]')"
    assert result.stderr.splitlines() == [f"config.yaml:10 database: {problem}"]
    assert result.stdout == ""


def test_a_database_that_does_not_answer_is_one_line_and_exit_2(project: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = project / "config.yaml"
    url = f"postgresql://postgres@127.0.0.1:{port}/news"
    config.write_text(
        config.read_text(encoding="utf-8").replace("database: state/newsdesk.db", f"database: {url}"),
        encoding="utf-8",
    )
    for command in ("check", "run"):
        result = subprocess.run(
            [NEWSDESK, command, "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"newsdesk: database {url}: cannot open the store: connection failed")
        assert "Connection refused" in line and result.stdout == ""


@pytest.mark.parametrize("command", [["serve"], ["daemon", "--serve"]], ids=["serve", "daemon"])
def test_a_port_out_of_range_or_in_use_is_one_line_and_exit_2(
    project: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from newsdesk.cli import main

    config = str(project / "config.yaml")
    for port in ("99999", "0", "http"):  # in this process: the same main() the command runs
        assert main([*command, "-q", "--config", config, "--port", port]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"newsdesk {command[0]}: cannot listen on 127.0.0.1:{port}: port must be 1-65535"
        ]
    with socket.socket() as taken:  # another program already listens there
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main([*command, "-q", "--config", config, "--port", port]) == 2
        in_use = f"newsdesk {command[0]}: cannot listen on 127.0.0.1:{port}: address already in use"
        assert capsys.readouterr().err.splitlines() == [in_use]
        # The real command, twice: the daemon gave its lock back, so the second try fails the same way.
        for _ in range(2 if command[0] == "daemon" else 1):
            result = newsdesk(*command, "-q", "--port", port, cwd=project)
            assert result.returncode == 2, result.stderr
            assert result.stderr.splitlines() == [in_use] and result.stdout == ""


def test_serve_answers_then_stops_on_sigterm_with_exit_0(project: Path) -> None:
    import signal
    import socket
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [NEWSDESK, "serve", "--port", str(port)], cwd=project, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read() if process.stderr else ""
    assert f"on http://127.0.0.1:{port}/" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-v", "run"], {"verbose": True, "quiet": False}),
        (["run", "-v"], {"verbose": True, "quiet": False}),
        (["-q", "status", "--json"], {"quiet": True, "json": True}),
        (["--config", "x.yaml", "status"], {"config": Path("x.yaml")}),
        (["status", "--config", "x.yaml"], {"config": Path("x.yaml")}),
        (["--config", "a.yaml", "status", "--config", "b.yaml"], {"config": Path("b.yaml")}),
        (["--log-format", "json", "daemon", "-q"], {"log_format": "json", "quiet": True}),
        (["run"], {"config": Path("config.yaml"), "verbose": False, "quiet": False, "log_format": "text"}),
    ],
)
def test_global_options_go_before_or_after_the_command(argv: list[str], expected: dict[str, object]) -> None:
    from newsdesk.cli import build_parser

    args = vars(build_parser().parse_args(argv))
    assert {key: args[key] for key in expected} == expected


def test_global_options_before_or_after_the_command_on_the_real_cli(project: Path, tmp_path: Path) -> None:
    import json

    verbose = newsdesk("--log-format", "json", "run", "-v", cwd=project)
    assert verbose.returncode == 0, verbose.stderr
    levels = {json.loads(line)["level"] for line in verbose.stderr.splitlines()}
    assert {"debug", "info"} <= levels
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = str(project / "config.yaml")
    for argv in (["--config", config, "status"], ["status", "--config", config]):
        status = newsdesk(*argv, cwd=elsewhere)
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("SOURCE")
    # `-q` before the command is in test_global_options_go_before_or_after_the_command.


def test_verbose_and_quiet_on_either_side_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from newsdesk.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["-v", "status", "-q"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "newsdesk: error: argument -q/--quiet: not allowed with argument -v/--verbose"
    )
