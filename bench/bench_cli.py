"""CLI start-up: wall and CPU time of `policywatch --help`, `status` and the listings, each the
median of several fresh processes (the load average is printed beside: on a shared machine the CPU
time is the steadier figure). Issue #16's target: `--help` and `status` under 0.5 s.

    PYTHONPATH=. python bench/bench_cli.py [--db policywatch.db | --policies 10000] [--runs 7]

Without --db it measures on a new SQLite library of --policies pages (default 10,000: the benchmark
mirror's pages stored by the ingestor, as a first crawl stores them; about three minutes to build).
--policies 0 measures on a new empty database.

The processes run as an installed program does, with compiled bytecode (pip compiles it on install):
one unmeasured run first writes it to a temporary cache, even where PYTHONDONTWRITEBYTECODE is set —
compiling policywatch's own modules on every start would add ~40 ms to every figure."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_library(path: Path, pages: int) -> None:
    """A SQLite library of `pages` policies, one version each, stored by one run as a crawl stores them
    (no run at all for 0 pages)."""
    from bench import mirror
    from monitor.config import Settings, SourceConfig
    from monitor.contracts import ListedLink, ListPageItem, PageItem
    from monitor.ingest import Ingestor
    from monitor.store.db import Database
    from monitor.store.models import Run

    base = "http://127.0.0.1:9"
    source = SourceConfig(name="library", start_urls=(f"{base}/lib/index.html",), allow_private=True, region="某区")
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    if not pages:
        db.dispose()
        return
    now = datetime.now(UTC)
    with db.session() as session:
        run = Run(started_at=now, stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    ingestor = Ingestor(db, run_id=run_id, source=source, settings=Settings(), today=date(2026, 11, 28))
    urls = [base + mirror.detail_path(i) for i in range(pages)]
    # One list page announcing every policy: the run is a healthy one to `status`.
    ingestor.record_list(ListPageItem("library", f"{base}/lib/index.html", 200, [ListedLink(u) for u in urls]))
    for i, url in enumerate(urls):
        body = mirror._detail(i, 0).encode("utf-8")
        ingestor.ingest_page(PageItem("library", url, 200, now, body=body, text=body.decode(), encoding="utf-8"))
    stats = ingestor.finish()
    with db.session() as session:
        run = session.get_one(Run, run_id)
        run.status, run.finished_at, run.stats = "ok", datetime.now(UTC), {"library": stats.as_dict()}
    db.dispose()


def run(args: list[str], runs: int, pycache: Path) -> tuple[float, float, float, int]:
    """(best wall s, median wall s, median CPU s, exit code) over `runs` fresh processes, after one
    that compiles the bytecode."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(pycache))
    command = [sys.executable, "-m", "monitor.cli", *args]
    subprocess.run(command, capture_output=True, cwd=ROOT, env=env)
    walls, cpus, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, cwd=ROOT, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    return min(walls), statistics.median(walls), statistics.median(cpus), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or database URL (default: a new SQLite library, see --policies)")
    parser.add_argument("--policies", type=int, default=10_000, help="pages in the new library (0: empty)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = str(Path(tmp) / "library.db")
            start = time.perf_counter()
            build_library(Path(db), args.policies)
            print(f"library of {args.policies:,} policies built in {time.perf_counter() - start:.0f} s")
        commands = [["--help"], ["status", "--db", db], ["policies", "--db", db], ["events", "--db", db]]
        print(f"{'command':<22}{'best ms':>9}{'median ms':>11}{'CPU ms':>8}  exit")
        for command in commands:
            best, median, cpu, code = run(command, args.runs, Path(tmp) / "pycache")
            print(f"{command[0]:<22}{best * 1000:>9.0f}{median * 1000:>11.0f}{cpu * 1000:>8.0f}  {code}")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
