"""Command line: parses arguments, calls the modules, prints one line per expected error."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk import __version__
from newsdesk.errors import AlreadyRunning, ConfigError, DatabaseError, NewsdeskError, StoreError
from newsdesk.logs import setup_logging

if TYPE_CHECKING:  # each command imports what it uses: `--help` reads no config at all
    from newsdesk.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="Per-category feeds from news pages and feeds.",
        parents=[_global_options(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"newsdesk {__version__}")
    # The same options after the command; SUPPRESS keeps a value given before the command.
    common = _global_options(defaults=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text, parents=[common])

    command("run", "refresh every source once, then publish the feeds")
    command("check", "validate the config file")
    discover = command(
        "discover", "find the stories on a page and print a ready source for config.yaml; stores nothing"
    )
    discover.add_argument("url", help="the page's address (http(s), or a file path)")
    discover.add_argument(
        "--json", action="store_true", help="print the source, items and candidates as JSON"
    )
    discover.add_argument("--language", help="the page's language for its dates (default: its <html lang>)")
    discover.add_argument("--name", help="the source's name (default: made from the address)")
    preview = command("preview", "fetch and extract one source and show its items; stores nothing")
    preview.add_argument("source", help="the source's name in the config")
    preview.add_argument("--json", action="store_true", help="print the same as JSON")
    daemon = command("daemon", "run every source on its schedule until SIGTERM/SIGINT")
    daemon.add_argument("--serve", action="store_true", help="also serve the output folder over HTTP")
    worker = command("worker", "run a Celery worker that refreshes the sources the daemon sends (workers:)")
    worker.add_argument(
        "--concurrency",
        type=int,
        help="refreshes at once (default: the CPU count; with --pool threads, fetch.workers)",
    )
    worker.add_argument(
        "--pool",
        choices=("prefork", "threads"),
        default="prefork",
        help="prefork: one refresh per process at once (default); threads: --concurrency refreshes in "
        "threads of one process, pages parsed in its parsing processes (fetch.processes), as the daemon does",
    )
    worker.add_argument(
        "--name", help="this worker's name (default: newsdesk@HOST; give one per worker on a host)"
    )
    serve = command("serve", "serve the output folder over HTTP (feeds, index, embed, health, metrics)")
    for sub in (daemon, serve):
        sub.add_argument("--host", help="address to listen on (default: serve.host, 127.0.0.1)")
        sub.add_argument("--port", help="port to listen on, 1-65535 (default: serve.port, 8080)")
    dupes = command("dupes", "list merged stories (near-duplicates) with their scores, newest first")
    dupes.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    status = command("status", "show each source's state (read-only; works while the daemon runs)")
    status.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    return parser


def _global_options(*, defaults: bool) -> argparse.ArgumentParser:
    """-q/-v, --config and --log-format, accepted before and after the command name."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--config", default=default("config.yaml"), type=Path, help="config file (default: config.yaml)"
    )
    verbosity = options.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="log debug details"
    )
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="log only problems"
    )
    options.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=default("text"),
        help="log lines as text or JSON objects",
    )
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose and args.quiet:  # one before the command, one after: the group cannot see both
        parser.error("argument -q/--quiet: not allowed with argument -v/--verbose")
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    setup_logging(level, args.log_format)
    try:
        from newsdesk.config import load_config

        if args.command == "discover":
            return _discover(args)
        config = load_config(args.config)
        if args.command == "check":
            return _check(config)
        if args.command == "preview":
            return _preview(config, args.source, as_json=args.json)
        if args.command == "dupes":
            return _dupes(config, as_json=args.json)
        if args.command == "status":
            return _status(config, as_json=args.json)
        if args.command == "daemon":
            return _daemon(config, args)
        if args.command == "serve":
            return _serve(config, args)
        if args.command == "worker":
            return _worker(config, args)
        return _run(config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except (AlreadyRunning, StoreError) as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        print(
            f"newsdesk: database error ({config_url_hint(args)}): {str(exc).splitlines()[0]}", file=sys.stderr
        )
        return EXIT_FAILED
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `newsdesk status | head`: the reader left, nothing is wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        return EXIT_OK
    except OSError as exc:
        print(f"newsdesk: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def config_url_hint(args: argparse.Namespace) -> str:
    return f"config {args.config}"


def _run(config: Config) -> int:
    from newsdesk.pipeline import run

    report = run(config)
    for failed in report.failed:
        for error in failed.errors:
            print(f"newsdesk: {error}", file=sys.stderr)
    publish_errors = report.publish.errors if report.publish else []  # logged by the pipeline
    return EXIT_FAILED if report.failed or publish_errors else EXIT_OK


def _check(config: Config) -> int:
    from newsdesk.check import check_notes
    from newsdesk.clock import utc_now

    notes = check_notes(config, utc_now())  # opens the store: its problems come before OK
    print(
        f"{config.path.name}: OK ({len(config.sources)} sources, {len(config.categories)} categories, "
        f"output {config.output_dir})"
    )
    for note in notes:
        print(note)
    return EXIT_OK


def _discover(args: argparse.Namespace) -> int:
    """Works before there is a config.yaml: a page is read with the default fetch settings then."""
    from newsdesk.config import default_config, load_config
    from newsdesk.discover import discover_command

    config = load_config(args.config) if args.config.exists() else default_config(args.config)
    return discover_command(
        config, args.url, sys.stdout, sys.stderr, as_json=args.json, language=args.language, name=args.name
    )


def _preview(config: Config, name: str, *, as_json: bool) -> int:
    from newsdesk.preview import preview

    return preview(config, config.source(name), sys.stdout, as_json=as_json)


def _status(config: Config, *, as_json: bool) -> int:
    from newsdesk.clock import utc_now
    from newsdesk.status import print_status

    return print_status(config, utc_now(), sys.stdout, as_json=as_json)


def _address(config: Config, args: argparse.Namespace) -> tuple[str, int]:
    """--host/--port over serve.host/serve.port; a --port outside 1-65535 is refused, not wrapped."""
    from newsdesk.errors import ListenError

    host = args.host or config.serve.host
    if args.port is None:
        return host, config.serve.port
    port = int(args.port) if args.port.strip().isdigit() else -1
    if not 1 <= port <= 65535:
        raise ListenError(host, args.port, "port must be 1-65535")
    return host, port


def _daemon(config: Config, args: argparse.Namespace) -> int:
    from newsdesk.daemon import Daemon

    if not args.serve:
        return Daemon(config).run_forever()
    from newsdesk.errors import ListenError

    try:
        return Daemon(config, serve_at=_address(config, args)).run_forever()
    except ListenError as exc:
        return _refused("daemon", exc)


def _worker(config: Config, args: argparse.Namespace) -> int:
    if config.workers is None:
        print(
            f"newsdesk worker: {config.path} has no workers: section "
            "(add workers: {broker: redis://127.0.0.1:6379/0} and run the daemon with it too)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.concurrency is not None and args.concurrency < 1:
        print(f"newsdesk worker: --concurrency must be 1 or more, not {args.concurrency}", file=sys.stderr)
        return EXIT_USAGE
    from newsdesk.worker import run_worker

    level = "DEBUG" if args.verbose else "WARNING" if args.quiet else "INFO"
    return run_worker(config, concurrency=args.concurrency, name=args.name, loglevel=level, pool=args.pool)


def _serve(config: Config, args: argparse.Namespace) -> int:
    from newsdesk.errors import ListenError
    from newsdesk.server import serve

    try:
        return serve(config, *_address(config, args))
    except ListenError as exc:
        return _refused("serve", exc)


def _refused(command: str, exc: Exception) -> int:
    """A usage error: the address given (or configured) cannot be listened on."""
    print(f"newsdesk {command}: {exc}", file=sys.stderr)
    return EXIT_USAGE


def _dupes(config: Config, *, as_json: bool) -> int:
    import json

    from newsdesk.clock import utc_now
    from newsdesk.store.opening import open_store

    store = open_store(config, utc_now())
    try:
        groups = store.merge_groups()
    finally:
        store.close()
    if as_json:
        print(json.dumps(groups, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not groups:
        print("no merged stories")
    for group in groups:
        print(f"{group['title']}  <{group['url'] or group['id']}>")
        for merged in group["merged"]:
            print(f"  = {merged['title']}  <{merged['url']}>")
            print(
                f"    score {merged['score']:.2f}: {merged['rule']} ({merged['at'][:16].replace('T', ' ')})"
            )
    return EXIT_OK
