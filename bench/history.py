"""Publishing over a long history (scenario 4): 10k, 100k and 1M stored items over 30 categories.

The history is written straight into a real store (same schema, bulk inserts: building it through
refreshes would take hours and is measured by the dedup benchmark instead). Each publish runs in a
child process, so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import NOW, Row, bench_config

CACHE = Path(__file__).resolve().parent / ".cache"
PARENTS = [f"topic{n:02d}" for n in range(10)]
CATEGORIES = PARENTS + [f"{parent}/{child}" for parent in PARENTS for child in ("news", "events")]


def build_history(path: Path, count: int) -> None:
    """`count` items, one category each (30 categories, 10 of them parents of 2), one a minute back."""
    from newsdesk.store import Store

    store = Store(f"sqlite:///{path}", site_host="news.example.org")
    store.create(NOW - timedelta(days=800))
    chunk = 20_000
    with store.db.write() as conn:
        for start in range(0, count, chunk):
            rows, categories, keys = [], [], []
            for n in range(start, min(count, start + chunk)):
                moment = NOW - timedelta(minutes=n)
                url = f"https://www.example.org/news/{n}"
                rows.append(
                    {
                        "id": n + 1,
                        "entry_id": f"urn:newsdesk:{n}",
                        "url": url,
                        "title": f"Story {n}: what if we put wind turbines in the sky?",
                        "summary_html": f"<p>Generating renewable electricity at altitude, story {n}...</p>",
                        "summary_text": f"Generating renewable electricity at altitude, story {n}...",
                        "language": "en",
                        "published": moment,
                        "date_from_source": True,
                        "updated": moment,
                        "first_seen": moment,
                        "content_source": f"site{n % 200}\n{url}",
                        "content_hash": f"{n:040d}",
                        "sources": json.dumps([f"site{n % 200}"]),
                    }
                )
                categories.append(
                    {"item_id": n + 1, "category": CATEGORIES[n % 30], "position": 0, "published": moment}
                )
                keys.append({"key": f"url:{url}", "item_id": n + 1})
            columns = list(rows[0])
            conn.executemany(
                f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
                rows,
            )
            conn.executemany(
                "INSERT INTO item_categories (item_id, category, position, published) "
                "VALUES (:item_id, :category, :position, :published)",
                categories,
            )
            conn.executemany("INSERT INTO item_keys (key, item_id) VALUES (:key, :item_id)", keys)
        conn.execute("ANALYZE")
    store.close()


def history_db(count: int) -> Path:
    """Built once and kept in bench/.cache (publishing never changes the items)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"history-{count}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build_history(partial, count)
        partial.rename(path)
    return path


def measure_publish(database: Path, output: Path, repeat: int) -> dict[str, float]:
    """In the child: open the store, publish `repeat` times; median time, peak RSS."""
    from newsdesk.publish import publish
    from newsdesk.store.opening import open_store

    config = bench_config(
        output,
        [],
        database=f"sqlite:///{database}",
        categories=[{"id": category} for category in CATEGORIES],
    )
    baseline = peak_rss_mb()
    store = open_store(config, NOW)
    timings = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            report = publish(config, store)
            timings.append(time.perf_counter() - started)
            if report.errors:
                raise RuntimeError(report.errors[0])
    finally:
        store.close()
    return {"seconds": statistics.median(timings), "peak_mb": peak_rss_mb(), "baseline_mb": baseline}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, it does not inherit the parent's after exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def history_rows(sizes: list[int], repeat: int, tmp: Path) -> list[Row]:
    results = {}
    for size in sizes:
        database = history_db(size)
        output = tmp / f"history-{size}"
        output.mkdir()
        answer = subprocess.run(
            [sys.executable, __file__, str(database), str(output), str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[size] = json.loads(answer.stdout.strip().splitlines()[-1])
    rows = []
    small = results[sizes[0]]
    for size in sizes:
        got = results[size]
        time_ratio = got["seconds"] / small["seconds"]
        memory_ratio = got["peak_mb"] / small["peak_mb"]
        label = f"{size:,} items, 30 categories"
        rows.append(
            Row.check(
                "publish every feed (time, ratio to the smallest history)",
                label,
                f"{got['seconds'] * 1000:.0f} ms, {time_ratio:.2f}x",
                "<= 2.00x",
                time_ratio <= 2.0,
            )
        )
        rows.append(
            Row.check(
                "publish peak memory (RSS, ratio to the smallest history)",
                label,
                f"{got['peak_mb']:.0f} MB ({got['baseline_mb']:.0f} MB before), {memory_ratio:.2f}x",
                "< 300 MB, <= 2.00x",
                got["peak_mb"] < 300 and memory_ratio <= 2.0,
            )
        )
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(measure_publish(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))))
