"""CLI start-up: wall and CPU time of `policywatch --help`, `status` and the listings, each the
median of several fresh processes (the load average is printed beside: on a shared machine the CPU
time is the steadier figure).

    PYTHONPATH=. python bench/bench_cli.py [--db policywatch.db] [--runs 7]

Without --db it measures on a new empty database (a real library makes the listings, not the
start-up, slower)."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], runs: int) -> tuple[float, float, float, int]:
    """(best wall s, median wall s, median CPU s, exit code) over `runs` fresh processes."""
    walls, cpus, code = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", *args],
            capture_output=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        code = done.returncode
    return min(walls), statistics.median(walls), statistics.median(cpus), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or database URL (default: a new empty SQLite database)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from monitor.store.db import Database

            db = str(Path(tmp) / "empty.db")
            Database(f"sqlite:///{db}").upgrade()
        commands = [["--help"], ["status", "--db", db], ["policies", "--db", db], ["events", "--db", db]]
        print(f"{'command':<22}{'best ms':>9}{'median ms':>11}{'CPU ms':>8}  exit")
        for command in commands:
            best, median, cpu, code = run(command, args.runs)
            print(f"{command[0]:<22}{best * 1000:>9.0f}{median * 1000:>11.0f}{cpu * 1000:>8.0f}  {code}")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
