"""The commands that crawl: `run` (one run of every source), `worker` (a crawl worker of a distributed
run) and `demo` (the whole path on the bundled offline site), with the run summary they print."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli_common import (
    CrawlProgress,
    console,
    err,
    open_db,
    settings_or_exit,
    sources_option,
    sources_or_exit,
)
from monitor.exitcodes import EXIT_LOCKED

if TYPE_CHECKING:
    from monitor.runner import RunResult
    from monitor.store.db import Database

DEMO_SCRAPY = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 1,
}


def _print_run(result: RunResult, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("source", "lists", "fetched", "new", "changed", "unchanged", "failed", "removed"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for name, st in sorted(result.source_stats.items()):
        failed = st["failed"] + st["list_failures"]
        table.add_row(
            name,
            str(st["list_pages"]),
            str(st["fetched"]),
            str(st["new"]),
            str(st["changed"]),
            str(st["unchanged"]),
            f"[red]{failed}[/red]" if failed else "0",
            str(st["removed"]),
        )
    console.print(table)
    events = ", ".join(f"{t} {n}" for t, n in sorted(result.events.items())) or "none"
    console.print(
        f"run #{result.run_id}: {result.status}; events: {events}; alerts sent "
        f"{result.delivery.sent}, failed {result.delivery.failed}"
    )


def _print_problems(result: RunResult, verbose: int) -> None:
    """stderr, for cron mail: one line per failed source (every error with -v), one for alerts."""
    for name in result.failed_sources:
        st = result.source_stats.get(name, {})
        errors = [*st.get("failing", []), *st.get("errors", [])] or ["crawl did not complete"]
        failed = st.get("failed", 0) + st.get("list_failures", 0)
        more = f" (+{len(errors) - 1} more, -v lists them)" if len(errors) > 1 and not verbose else ""
        click.echo(f"{name}: {failed or 'no'} page(s) failed: {errors[0]}{more}", err=True)
        for line in errors[1:] if verbose else []:
            click.echo(f"{name}: {line}", err=True)
    for name, st in sorted(result.source_stats.items()):
        if st.get("capped") and name not in result.failed_sources:  # never a silent truncation
            click.echo(
                f"{name}: max_list_pages reached, {st['capped']} further list page(s) not "
                "crawled (no removals this run) — raise max_list_pages for this source",
                err=True,
            )
    stats = result.delivery
    if stats.failed:
        given_up = f", {stats.gave_up} given up" if stats.gave_up else ", retried on the next run"
        click.echo(
            f"{stats.failed} alert(s) could not be delivered{given_up}: policywatch alerts list --failed", err=True
        )


@click.command()
@sources_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="policywatch.toml settings file.")
@click.option("--db", "db_url", help="Database URL (default: $POLICYWATCH_DATABASE_URL, then ./policywatch.db).")
@click.option("--report-dir", type=click.Path(file_okay=False), help="Where to write the HTML report.")
@click.option("--source", "only", multiple=True, help="Run only this source (repeatable).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend today is this date (Asia/Shanghai).")
@click.option("--dry-run", is_flag=True, help="Crawl and diff, print what would happen; store and send nothing.")
@click.option("--summary", is_flag=True, help="Print the per-source table and totals (also shown with -v).")
@click.option(
    "--workers",
    metavar="REDIS_URL",
    help="Distributed run: share the crawl with `policywatch worker REDIS_URL` processes (README, Distributed crawling).",
)
@click.option("--redis-prefix", default="policywatch", show_default=True, help="Redis key prefix of the deployment.")
@click.pass_context
def run(
    ctx: click.Context,
    sources_file: str | None,
    config_file: str | None,
    db_url: str | None,
    report_dir: str | None,
    only: tuple[str, ...],
    today: Any,
    dry_run: bool,
    summary: bool,
    workers: str | None,
    redis_prefix: str,
) -> None:
    """Crawl every source once, store changes, raise events, send alerts, write the report.

    Made for cron: a successful run prints nothing (--summary or -v prints the table); a failed
    source is one line on stderr, an alert that could not be delivered one more. A second run on
    the same database exits at once (code 3).
    Exit codes: 0 all good; 1 some sources failed or alerts could not be delivered (the rest was
    processed and committed; alerts are retried next run); 2 could not run (bad config, database
    unreachable); 3 another run is in progress.
    """
    from crawler.process import CrawlProcess

    crawl_process = CrawlProcess()  # imports Scrapy on the other core while this process opens the run
    try:
        settings = settings_or_exit(config_file)
        sources = sources_or_exit(sources_file, only)
        from monitor.lock import LockedError
        from monitor.runner import run_once

        db = open_db(db_url, settings)
        try:
            with CrawlProgress() as bars:
                result = run_once(
                    db,
                    sources,
                    settings,
                    report_dir=report_dir or settings.report_dir,
                    today=today.date() if today else None,
                    dry_run=dry_run,
                    progress=bars.update,
                    workers=workers,
                    redis_prefix=redis_prefix,
                    crawl_process=crawl_process,
                )
        except LockedError as exc:
            err.print(f"[yellow]not running:[/yellow] {exc}")
            sys.exit(EXIT_LOCKED)
    finally:
        crawl_process.close()
    verbose = (ctx.obj or {}).get("verbose", 0)
    if summary or verbose or dry_run:
        _print_run(result, "policywatch run --dry-run" if dry_run else "policywatch run")
        if result.report:
            console.print(f"report: {result.report}")
    for name, st in sorted(result.source_stats.items()) if dry_run else ():
        for would in st.get("would", []):
            console.print(f"would record [{name}] {would['type']}: {would['title']} — {would['summary']}", markup=False)
    _print_problems(result, verbose)
    sys.exit(result.exit_code)


@click.command()
@click.argument("redis_url")
@click.option("--db", "db_url", help="Database URL (default: $POLICYWATCH_DATABASE_URL, then ./policywatch.db).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="policywatch.toml settings file.")
@click.option("--redis-prefix", default="policywatch", show_default=True, help="Redis key prefix of the deployment.")
@click.option("--wait", default=3600.0, show_default=True, help="Seconds to wait for a coordinator's run.")
@click.option("--forever", is_flag=True, help="Join every run in turn (a service), not just the next one.")
def worker(
    redis_url: str, db_url: str | None, config_file: str | None, redis_prefix: str, wait: float, forever: bool
) -> None:
    """Crawl worker of a distributed run: waits for `policywatch run --workers REDIS_URL` to announce a
    run, takes requests from its shared Redis frontier, stores into the same (PostgreSQL) database, and
    exits when the frontier is drained (with --forever: waits for the next run). An announcement whose
    run is no longer running (its coordinator was killed) is skipped and removed. The coordinator
    sends the alerts and writes the report.
    Exit codes: 0 crawled; 1 the crawl process failed; 2 no live run announced within --wait."""
    from crawler.distributed import run_workers

    db = open_db(db_url, settings_or_exit(config_file))
    sys.exit(run_workers(redis_url, redis_prefix, db.url, wait, forever=forever))


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default="policywatch-demo",
    show_default=True,
    help="Where the demo leaves its database, report, sources file and delivered alerts.",
)
def demo(workdir: str) -> None:
    """Run the whole path on a bundled offline site: serve revision 1, run, switch to revision 2,
    run again, and show what was detected."""
    from monitor.config import load_settings, parse_sources
    from monitor.demo.receiver import WebhookReceiver
    from monitor.demo.site import DemoServer
    from monitor.demo.smtpsink import SMTPSink
    from monitor.runner import run_once

    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("policywatch.db", "policywatch.db-wal", "policywatch.db-shm", "alerts.jsonl", "alerts.mbox"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "report", ignore_errors=True)
    with (
        DemoServer() as server,
        WebhookReceiver(work / "alerts.jsonl") as receiver,
        SMTPSink(work / "alerts.mbox") as smtp,
    ):
        sources_text = server.site.sources_yaml(server.base_url)
        (work / "sources.yaml").write_text(sources_text, encoding="utf-8")
        hook = receiver.url.replace("http://", "json://") + "/alerts"
        (work / "policywatch.toml").write_text(
            "# written by `policywatch demo`: a webhook gets every event as it happens,\n"
            "# the mailbox one digest per run.\n"
            f'[report]\ndir = "report"\nbase_url = "{(work / "report").as_uri()}"\n\n'
            f'[[subscribers]]\nname = "demo-webhook"\nurls = ["{hook}"]\n\n'
            f'[[subscribers]]\nname = "demo-mailbox"\nurls = ["{smtp.apprise_url()}"]\nmode = "digest"\n',
            encoding="utf-8",
        )
        settings = load_settings(work / "policywatch.toml")
        sources = parse_sources(sources_text, str(work / "sources.yaml"))
        db = open_db(f"sqlite:///{work / 'policywatch.db'}", settings)
        results = []
        # Run 3 sees revision 2 again: a page gone (404 and off its list) is removed only when the
        # next run finds it gone too, so one bad night never raises a removal.
        for number, revision in enumerate((1, 2, 2), 1):
            server.site.revision = revision
            console.print(f"run {number}, revision {revision}: crawling {len(sources)} demo sites…")
            with CrawlProgress() as bars:
                result = run_once(
                    db,
                    sources,
                    settings,
                    report_dir=work / "report",
                    scrapy_overrides=DEMO_SCRAPY,
                    progress=bars.update,
                )
            _print_run(result, f"demo run {number} (site revision {revision})")
            _print_problems(result, 0)
            results.append(result)
        _demo_summary(db, work, len(receiver.received), len(smtp.messages))
    sys.exit(max(r.exit_code for r in results))


def _demo_summary(db: Database, work: Path, hooks: int, mails: int) -> None:
    from collections import Counter

    from sqlalchemy import func, select

    from monitor.store.models import Alert, Event, Policy, Source, Version

    with db.session() as session:
        policies = session.scalar(select(func.count()).select_from(Policy))
        versions = session.scalar(select(func.count()).select_from(Version))
        by_type = Counter(dict(session.execute(select(Event.type, func.count()).group_by(Event.type)).all()))
        alerts = Counter(dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()))
        n_sources = session.scalar(select(func.count()).select_from(Source))
    console.rule("demo summary")
    console.print(f"sources: {n_sources} · policies: {policies} · versions: {versions}")
    console.print("events: " + (", ".join(f"{t} {n}" for t, n in sorted(by_type.items())) or "none"))
    console.print(f"alerts: {dict(alerts)}; the local webhook received {hooks}, the local SMTP server {mails}")
    console.print(f"database: {work / 'policywatch.db'}")
    console.print(f"report:   {work / 'report' / 'index.html'}")
    console.print(f"webhook:  {work / 'alerts.jsonl'}  (one JSON line per delivered alert)")
    console.print(f"email:    {work / 'alerts.mbox'}  (mbox; e.g. `mutt -f` or Python's mailbox module)")
    console.print(f"events:   policywatch events --json --db sqlite:///{work / 'policywatch.db'}")


RUN_COMMANDS = (run, worker, demo)
