"""`policywatch reprocess`: re-read every stored version with the running code, quietly."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from monitor.cli_common import console, err, open_db, settings_or_exit, sources_option, sources_or_exit
from monitor.exitcodes import EXIT_LOCKED, EXIT_PARTIAL

if TYPE_CHECKING:
    from monitor.reprocess import ReprocessSummary


@click.command("reprocess")
@sources_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="policywatch.toml settings file.")
@click.option("--db", "db_url", help="Database URL (default: $POLICYWATCH_DATABASE_URL, then ./policywatch.db).")
@click.option("--source", "only", multiple=True, help="Only this source (repeatable).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend today is this date (Asia/Shanghai).")
@click.option("--dry-run", is_flag=True, help="Show what would be corrected; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def reprocess_command(
    sources_file: str | None,
    config_file: str | None,
    db_url: str | None,
    only: tuple[str, ...],
    today: Any,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Re-read every stored version with this version of policywatch's extractor and normaliser.

    Run it after an upgrade to bring stored facts (文号, dates, 有效期, repeals) and statuses up to
    the new code at once. Each version read differently gets a quiet 事实更正 (facts_corrected)
    entry, shown in the report and `policywatch history`; NOTHING is sent to subscribers.
    Without it the same happens page by page as runs re-fetch them. The sources file gives each
    source's selectors; sources not in it are skipped (and listed).
    Exit codes: 0 done; 1 some stored versions could not be read (kept as they were);
    2 bad configuration or database; 3 a run holds the database.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from monitor.lock import LockedError
    from monitor.policystatus import today_in_shanghai
    from monitor.reprocess import reprocess

    settings = settings_or_exit(config_file)
    sources = sources_or_exit(sources_file, only)
    db = open_db(db_url, settings)
    columns = (TextColumn("re-reading versions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("reprocess", total=None)
        try:
            summary = reprocess(
                db,
                sources,
                settings,
                today=today.date() if today else today_in_shanghai(),
                only=only,
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except LockedError as exc:
            err.print(f"[yellow]not running:[/yellow] {exc}")
            sys.exit(EXIT_LOCKED)
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        _print(summary)
    sys.exit(EXIT_PARTIAL if summary.failed else 0)


def _print(summary: ReprocessSummary) -> None:
    from rich.table import Table

    if summary.corrections:
        table = Table(title="corrected (would be corrected)" if summary.dry_run else "corrected")
        for col in ("policy", "title", "what the running code reads differently"):
            table.add_column(col)
        for c in summary.corrections:
            table.add_row(f"#{c['policy_id']}", c["title"], c["summary"])
        console.print(table)
    for line in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {line}")
    for line in summary.failed:
        err.print(f"[red]cannot re-read[/red] {line}")
    verb = "would correct" if summary.dry_run else "corrected"
    console.print(
        f"derivation {summary.derivation_version}: re-read {summary.versions} version(s) of {summary.policies} "
        f"policy(ies); {verb} {summary.corrected}, status changed {summary.status_changed}, "
        f"failed {len(summary.failed)}; nothing was sent to subscribers"
    )
