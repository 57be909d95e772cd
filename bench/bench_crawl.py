"""Crawl benchmark: a whole policy library, measured side by side with a bare Scrapy spider (the
ceiling) in one run.

    PYTHONPATH=. python bench/bench_crawl.py [--pages 10000] [--db sqlite,postgresql] [--concurrency 8]

Builds a static mirror of N gov-style pages from the seed corpus (with its repeal sentences), serves
it with nginx when installed (else a threaded Python server — the table says which), then measures:
bare Scrapy; policywatch's first crawl; an unchanged re-run with every page re-checked (conditional
requests → 304); a re-run with 1% of pages changed (and the count of text_changed events, which must
equal the number changed). Each with pages/s, its ratio to bare, CPU ms per page, peak RSS of the
process tree and the database size. Bare Scrapy runs before and after each database's series, and the
series' ratios are to the mean of those two runs: the machine's speed drifts within minutes.
Needs `pip install -e '.[bench]'` (psutil)."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import psutil
from sqlalchemy import create_engine, func, select, text

from bench import mirror
from monitor.store.db import Database
from monitor.store.models import Event, Run

PG_URL = os.environ.get(
    "POLICYWATCH_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)  # benchmarks use a throw-away schema in it
TODAY = "2026-11-28"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measure:
    seconds: float
    cpu: float
    peak_rss: int


def measure(cmd: list[str]) -> Measure:
    """Wall time, CPU (all descendants) and peak RSS summed over the process tree, sampled."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    top = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [top, *top.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(cmd[:4])} … exited {proc.returncode}:\n{proc.stderr.read()[-3000:] if proc.stderr else ''}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(seconds, cpu, peak)


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, str]]:
    """(base URL, server name): nginx when installed, else Python's threaded static server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx:
        prefix = Path(tempfile.mkdtemp(prefix="pw-nginx-"))
        user = "user root;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"{user} daemon off; worker_processes 2; pid {prefix}/nginx.pid; error_log {prefix}/error.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ include /etc/nginx/mime.types; charset utf-8; access_log off; etag on;\n"
            f"  client_body_temp_path {prefix}; proxy_temp_path {prefix}; fastcgi_temp_path {prefix};\n"
            f"  uwsgi_temp_path {prefix}; scgi_temp_path {prefix};\n"
            f"  server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
        )
        proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
        try:
            _wait_port(port)
            yield f"http://127.0.0.1:{port}", "nginx"
        finally:
            proc.terminate()
            proc.wait()
        return

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", "python http.server (nginx not installed)"
    finally:
        server.shutdown()


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("nginx did not start")


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[tuple[str, Path | None, str | None]]:
    """(URL, SQLite file, PostgreSQL schema): a fresh database for one benchmark series."""
    if kind == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}", path, None
        return
    schema = f"pw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}", None, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def db_size(url: str, path: Path | None, schema: str | None) -> int:
    if path is not None:
        return path.stat().st_size
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(quote_ident(schemaname) || '.' || quote_ident(tablename))), 0)"
                " FROM pg_tables WHERE schemaname = :s"
            ),
            {"s": schema},
        ).scalar_one()
    engine.dispose()
    return int(size)


def text_changed_in_last_run(url: str) -> int:
    db = Database(url)
    with db.session() as s:
        last = s.scalar(select(func.max(Run.id)))
        count = s.scalar(
            select(func.count()).select_from(Event).where(Event.run_id == last, Event.type == "text_changed")
        )
    db.dispose()
    return int(count or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    pages, conc = args.pages, args.concurrency
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp_name:
        tmp = Path(tmp_name)
        site = tmp / "site"
        os.chmod(tmp, 0o755)
        mirror.build(site, pages)
        with serve(site) as (base, server_name):
            sources = tmp / "sources.yaml"
            sources.write_text(
                f"sources:\n  - name: library\n    region: 北京市某区\n    start_urls: ['{base}/lib/index.html']\n    allow_private: true\n"
                f"    download_delay: 0\n    concurrency: {conc}\n    max_list_pages: {pages // mirror.PER_LIST + 2}\n"
            )  # policies in force (or of unknown status) are re-checked on every run
            print(f"{pages} pages, served by {server_name}, concurrency {conc}, on {os.cpu_count()} cores, {_load()}")

            def bare() -> Measure:
                measured = measure([sys.executable, "bench/bare_spider.py", base, str(conc)])
                _progress("bare Scrapy", "-", measured)
                return measured

            # The machine's speed drifts by ±20% within minutes: bare Scrapy is measured before and
            # after each series, and the series' ratios are to the mean of the two.
            before = bare()
            rows: list[tuple[str, str, Measure, int | None, str, float]] = [
                ("bare Scrapy (ceiling)", "-", before, None, "", before.seconds)
            ]
            for kind in args.db.split(","):
                measured = series(kind, tmp, site, sources, pages)
                after = bare()
                ceiling = (before.seconds + after.seconds) / 2
                rows += [(*row, ceiling) for row in measured]
                rows.append(("bare Scrapy (ceiling)", "-", after, None, "", after.seconds))
                before = after
        header = f"{'phase':<34}{'db':<12}{'s':>8}{'pages/s':>9}{'× bare':>8}{'CPU ms/page':>12}{'peak RSS MB':>12}{'DB MB':>8}  note"
        print(header)
        print("-" * len(header))
        for phase, kind, m, size, note, ceiling in rows:
            print(
                f"{phase:<34}{kind:<12}{m.seconds:>8.1f}{pages / m.seconds:>9.1f}{ceiling / m.seconds:>8.2f}"
                f"{m.cpu * 1000 / pages:>12.2f}{m.peak_rss / 2**20:>12.0f}{'' if size is None else f'{size / 2**20:.1f}':>8}  {note}"
            )
        print(
            f"at the end: {_load()} (the machine may be shared: a series' ratio is to the bare runs just before"
            " and after it)"
        )


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _progress(phase: str, kind: str, m: Measure) -> None:
    """Each phase as it ends, on stderr (a 30,000-page run takes a while)."""
    print(f"… {phase} ({kind}): {m.seconds:.1f} s, CPU {m.cpu:.1f} s, {_load()}", file=sys.stderr, flush=True)


def series(
    kind: str, tmp: Path, site: Path, sources: Path, pages: int
) -> list[tuple[str, str, Measure, int | None, str]]:
    out: list[tuple[str, str, Measure, int | None, str]] = []
    with database(kind, tmp) as (url, path, schema):
        run = [
            sys.executable,
            "-m",
            "monitor.cli",
            "run",
            "--sources",
            str(sources),
            "--db",
            url,
            "--today",
            TODAY,
            "--report-dir",
            str(tmp / f"report-{kind}"),
        ]
        first = measure(run)
        _progress("first crawl", kind, first)
        versions = f"{db_size(url, path, schema) / pages / 1024:.1f} KB per stored page"
        out.append(("first crawl", kind, first, db_size(url, path, schema), versions))
        rerun = measure(run)
        _progress("unchanged re-run", kind, rerun)
        out.append(("unchanged re-run (all re-checked)", kind, rerun, db_size(url, path, schema), ""))
        changed = list(range(0, pages, 100))  # 1%
        for i in changed:
            mirror.write_detail(site, i, bump=1000)
        third = measure(run)
        _progress("re-run, 1% changed", kind, third)
        found = text_changed_in_last_run(url)
        verdict = "ok" if found == len(changed) else "MISMATCH"
        out.append(
            (
                "re-run, 1% changed",
                kind,
                third,
                db_size(url, path, schema),
                f"text_changed {found} of {len(changed)} changed: {verdict}",
            )
        )
        for i in changed:
            mirror.write_detail(site, i)  # the next series starts from the same mirror
    return out


if __name__ == "__main__":
    main()
