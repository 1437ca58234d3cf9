"""newsdesk benchmarks: one table (scenario, size, figure, target, met). Never part of the tests.

    make bench          # full sizes (about 15 minutes; builds a 1M-item history once, kept in bench/.cache)
    make bench-quick    # small sizes, under a minute
    .venv/bin/python bench/run.py --only refresh,history

Each figure is the median of several runs over the real code paths: real loopback HTTP (a site per
127.0.x.y address), a real SQLite file, real feed files. Ratios are measured side by side in one run.
The exit status is 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path

from common import Row
from dedup import check_rows, insert_rows
from discover import discover_rows
from enrich import enrich_rows
from extraction import date_rows, extraction_rows
from history import history_rows
from refresh import refresh_rows
from serving import serving_rows
from versus import versus_rows
from workers import worker_rows
from writers import writer_rows


def scenarios(quick: bool, tmp: Path) -> dict[str, Callable[[], list[Row]]]:
    repeat = 5 if quick else 9
    return {
        "extraction": lambda: (
            extraction_rows([10, 100] if quick else [10, 100, 1000], repeat) + date_rows(repeat)
        ),
        "refresh": lambda: [
            row
            for count in ([100] if quick else [100, 1000])
            for row in refresh_rows(count, 2 if quick else 3)
        ],
        "history": lambda: history_rows([10_000, 100_000] if quick else [10_000, 100_000, 1_000_000], 3, tmp),
        "dedup": lambda: (
            check_rows([1000, 5000] if quick else [1000, 10_000, 100_000], repeat)
            + insert_rows(1_500 if quick else 100_000)
        ),
        "serving": lambda: serving_rows(1 if quick else 3, 1 if quick else 3, tmp),
        "writers": lambda: writer_rows(100, 2 if quick else 3),
        "versus": lambda: versus_rows(3 if quick else 5),
        "workers": lambda: worker_rows(100 if quick else 1000),
        "discover": lambda: discover_rows(1 if quick else 3),
        "enrich": lambda: enrich_rows(20 if quick else 100),
    }


def print_table(rows: list[Row]) -> None:
    headers = ("scenario", "size", "figure", "target", "met")
    cells = [astuple(row) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--only",
        help="comma-separated scenarios: extraction,refresh,history,dedup,serving,writers,versus,workers,"
        "discover,enrich",
    )
    args = parser.parse_args(argv)
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        chosen = scenarios(args.quick, Path(tmp))
        names = args.only.split(",") if args.only else list(chosen)
        unknown = sorted(set(names) - set(chosen))
        if unknown:
            parser.error(f"unknown scenario(s): {', '.join(unknown)}")
        for name in names:
            print(f"running {name}...", file=sys.stderr, flush=True)
            rows += chosen[name]()
    print_table(rows)
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0 if all(row.met != "no" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
