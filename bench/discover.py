"""How well and how fast `discover` reads pages without selectors: per page, stories found (by link),
extra items, exact titles, right dates, and the time of one discovery (median of 3).

    .venv/bin/python bench/discover.py     # the per-page table alone
    .venv/bin/python bench/run.py --only discover

Pages: the real ones of ../shared/discover-corpus (when present) and ours in tests/fixtures/discover/,
scored by the same code as tests/test_discover_corpus.py.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import Row

from discover_cases import CORPUS, Case, Score, corpus_cases, fixture_cases, run_case

TARGETS = {"recall": 0.95, "extra": 0.05, "titles": 0.95, "dates": 0.95}


def scored(case: Case, repeat: int = 3) -> Score:
    runs = [run_case(case) for _ in range(repeat)]
    best = runs[0]
    best.seconds = statistics.median(run.seconds for run in runs)
    return best


def _share(right: int, known: int) -> str:
    return f"{right}/{known}" if known else "-"


def discover_rows(repeat: int = 3) -> list[Row]:
    rows: list[Row] = []
    sets = [("fixtures", list(fixture_cases()))]
    if (CORPUS / "cases.json").is_file():
        sets.insert(0, ("corpus", list(corpus_cases())))
    for label, cases in sets:
        scores = [scored(case, repeat) for case in cases]
        for score in scores:
            extra = "-" if score.extra is None else str(score.extra)
            rows.append(
                Row.report(
                    f"discover {label}",
                    score.name,
                    f"{score.hits}/{score.expected} found, {extra} extra, titles "
                    f"{_share(score.titles_right, score.titles_known)}, dates "
                    f"{_share(score.dates_right, score.dates_known)}, {score.method}, "
                    f"{score.seconds * 1000:.0f} ms",
                )
            )
        rows += _totals(f"discover {label}", scores)
    return rows


def _totals(scenario: str, scores: list[Score]) -> list[Row]:
    expected = sum(s.expected for s in scores)
    hits = sum(s.hits for s in scores)
    judged = [s for s in scores if s.extra is not None]
    extra, found = sum(s.extra or 0 for s in judged), sum(s.found for s in judged)
    titles = sum(s.titles_right for s in scores), sum(s.titles_known for s in scores)
    dates = sum(s.dates_right for s in scores), sum(s.dates_known for s in scores)
    slowest = max(scores, key=lambda s: s.seconds)
    size = f"all {len(scores)} pages"
    rows = [
        Row.check(
            scenario, size, f"{hits}/{expected} stories found", ">= 95%", hits >= TARGETS["recall"] * expected
        ),
        Row.check(scenario, size, f"{extra}/{found} extra items", "<= 5%", extra <= TARGETS["extra"] * found),
    ]
    if titles[1]:
        rows.append(
            Row.check(
                scenario,
                size,
                f"{titles[0]}/{titles[1]} titles exact",
                ">= 95%",
                titles[0] >= 0.95 * titles[1],
            )
        )
    if dates[1]:
        rows.append(
            Row.check(
                scenario, size, f"{dates[0]}/{dates[1]} dates right", ">= 95%", dates[0] >= 0.95 * dates[1]
            )
        )
    rows.append(Row.report(scenario, size, f"slowest {slowest.name}: {slowest.seconds * 1000:.0f} ms"))
    return rows


if __name__ == "__main__":
    from run import print_table

    table = discover_rows()
    print_table(table)
    sys.exit(0 if all(row.met != "no" for row in table) else 1)
