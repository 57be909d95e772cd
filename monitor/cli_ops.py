"""Operating it: `status` (Nagios-style exit codes), `alerts list` and `alerts retry`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from monitor.cli_common import (
    Paging,
    config_option,
    configured_database_url,
    console,
    count_rows,
    emit_json_lines,
    local_time,
    open_db,
    open_db_url,
    paging_options,
    settings_or_exit,
    shanghai,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

    from monitor.store.models import Alert

_UNDELIVERED = ("pending", "sending", "failed", "unconfirmed")
_GIVEN_UP = ("failed", "unconfirmed")  # unconfirmed: sent, but the receiver never answered


def _status_report(conn: Connection) -> dict[str, Any]:
    # SQLAlchemy Core on the tables' clauses, not the ORM: `status` stays well under 0.5 s (issue #16).
    from sqlalchemy import func, select

    from monitor.checkstate import assess
    from monitor.derivestamp import DERIVATION_VERSION
    from monitor.ingest.stats import run_troubles
    from monitor.policystatus import today_in_shanghai
    from monitor.store.tables import alerts, policies, runs, sources, versions

    run = conn.execute(select(runs).where(runs.c.status != "dry-run").order_by(runs.c.id.desc()).limit(1)).first()
    failing = run_troubles(run.stats if run else None)
    failing_now = (
        select(sources.c.name, sources.c.failing_since, sources.c.failing_reason)
        .where(sources.c.failing_since.is_not(None))
        .order_by(sources.c.name)
    )
    for name, since, reason in conn.execute(failing_now):
        failing[name] = f"failing since {shanghai(since) if since else '?'}: {reason}"
    stale = conn.scalar(select(func.count()).select_from(versions).where(versions.c.derived_by != DERIVATION_VERSION))
    by_status: dict[str, int] = dict(
        conn.execute(select(alerts.c.status, func.count()).group_by(alerts.c.status)).all()
    )
    retrying = conn.scalar(
        select(func.count()).select_from(alerts).where(alerts.c.status.in_(("pending", "sending")), alerts.c.tries > 0)
    )
    health = assess(
        last_run_status=run.status if run else None,
        sources_in_run=len(run.stats or {}) if run else 0,
        failing_sources=list(failing),
        failed_alerts=by_status.get("failed", 0),
        retrying_alerts=retrying or 0,
        unconfirmed_alerts=by_status.get("unconfirmed", 0),
    )
    # Why alerts are not getting through, in the channel's own words (masked when stored).
    alert_errors = conn.execute(
        select(alerts.c.last_error, func.count())
        .where(alerts.c.status.in_(_UNDELIVERED), alerts.c.last_error != "")
        .group_by(alerts.c.last_error)
        .order_by(func.count().desc())
        .limit(5)
    ).all()
    today = today_in_shanghai()
    soon = conn.execute(
        select(policies.c.id, policies.c.title, policies.c.expires_date, sources.c.name)
        .join_from(policies, sources, policies.c.source_id == sources.c.id)
        .where(policies.c.expires_date >= today, policies.c.expires_date <= today + timedelta(days=30))
        .order_by(policies.c.expires_date, policies.c.id)
    )
    return {
        "state": health.state,
        "exit_code": health.code,
        "summary": health.line,
        "last_run": _run_json(run),
        "failing_sources": [{"source": k, "error": v} for k, v in failing.items()],
        "alerts": by_status,
        "alert_errors": [{"error": error, "alerts": n} for error, n in alert_errors],
        "expiring_within_30_days": [
            {"id": id_, "title": title, "expires": expires.isoformat(), "source": source}
            for id_, title, expires, source in soon
        ],
        "sources_known": conn.scalar(select(func.count()).select_from(sources)),
        "versions_read_by_older_code": stale or 0,  # `policywatch reprocess` updates them
    }


def _run_json(run: Row[Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "started_at": local_time(run.started_at),
        "finished_at": local_time(run.finished_at),
        "sources": len(run.stats or {}),
        "alerts_sent": run.alerts_sent,
        "alerts_failed": run.alerts_failed,
    }


@click.command("status")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def status_command(db_url: str | None, config_file: str | None, as_json: bool) -> None:
    """Health for people and for monitoring: the first line is OK / WARNING / CRITICAL and why,
    then the last run, failing sources, alerts by state and policies expiring within 30 days.

    Exit codes (Nagios plugin convention): 0 OK; 1 WARNING — no run yet, a source failed in the
    last run, or alerts wait for a retry; 2 CRITICAL — alerts were given up, or every source failed
    (also: the database cannot be opened).
    """
    db = open_db_url(db_url, configured_database_url(config_file), create=False)
    with db.engine.connect() as conn:
        report = _status_report(conn)
    if as_json:
        emit_json_lines([report])
        sys.exit(report["exit_code"])
    from rich.table import Table  # only for people: a monitoring plugin's --json does without it

    console.print(report["summary"], markup=False, highlight=False)
    last = report["last_run"]
    if last:
        console.print(
            f"last run #{last['id']}: {last['status']}, started {last['started_at']}, {last['sources']} source(s), "
            f"alerts sent {last['alerts_sent']}, failed {last['alerts_failed']}",
            markup=False,
        )
    for row in report["failing_sources"]:
        console.print(f"failing source {row['source']}: {row['error']}", markup=False, highlight=False)
    if report["versions_read_by_older_code"]:
        console.print(
            f"{report['versions_read_by_older_code']} stored version(s) were read by an older extractor/normaliser: "
            "`policywatch reprocess` updates their facts and statuses at once (nothing is sent)"
        )
    console.print("alerts: " + (", ".join(f"{k} {v}" for k, v in sorted(report["alerts"].items())) or "none"))
    for row in report["alert_errors"]:
        console.print(
            f"alert delivery failing ({row['alerts']} alert(s)): {row['error']}", markup=False, highlight=False
        )
    table = Table(title=f"{len(report['expiring_within_30_days'])} policy(ies) expiring within 30 days")
    for col in ("expires", "policy", "source"):
        table.add_column(col)
    for p in report["expiring_within_30_days"]:
        table.add_row(p["expires"], p["title"], p["source"])
    console.print(table)
    sys.exit(report["exit_code"])


@click.group("alerts")
def alerts_group() -> None:
    """The alert outbox: what is waiting, what failed, and sending it again."""


def _alert_row(alert: Alert) -> dict[str, Any]:
    event = alert.event
    return {
        "id": alert.id,
        "status": alert.status,
        "subscriber": alert.subscriber,
        "tries": alert.tries,
        "next_try": local_time(alert.next_try_at) if alert.status == "pending" else "",
        "sent_at": local_time(alert.sent_at),
        "event_id": event.id,
        "event": event.type,
        "policy": event.policy.title if event.policy else event.origin.name,
        "error": alert.last_error,  # masked when stored
    }


@alerts_group.command("list")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--failed", "only_failed", is_flag=True, help="Only alerts given up (failed or unconfirmed).")
@click.option("--all", "show_all", is_flag=True, help="Delivered alerts too (default: not yet delivered).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@paging_options
@config_option
def alerts_list(
    db_url: str | None,
    only_failed: bool,
    show_all: bool,
    as_json: bool,
    page: int,
    limit: int | None,
    config_file: str | None,
) -> None:
    """Alerts not yet delivered (pending, being sent, failed, unconfirmed), newest first, with the last
    error, a page at a time. unconfirmed: sent, but the receiver never answered in time."""
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from monitor.store.models import Alert, Event

    paging = Paging(page, limit, as_json)
    db = open_db(db_url, settings_or_exit(config_file), create=False)
    with db.session() as session:
        query = select(Alert).order_by(Alert.id.desc())
        if only_failed:
            query = query.where(Alert.status.in_(_GIVEN_UP))
        elif not show_all:
            query = query.where(Alert.status.in_(_UNDELIVERED))
        loaded = paging.window(query).options(joinedload(Alert.event).joinedload(Event.policy))
        if as_json:
            shown = emit_json_lines(_alert_row(a) for a in session.scalars(loaded.execution_options(yield_per=500)))
            paging.hint(lambda: count_rows(session, query), shown)
            return
        total = count_rows(session, query)
        rows = [_alert_row(a) for a in session.scalars(loaded)]
    table = Table(title=paging.title(total, len(rows), "alert(s)"))
    for col in ("id", "status", "subscriber", "tries", "next try", "event", "policy", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["status"],
            r["subscriber"],
            str(r["tries"]),
            r["next_try"],
            r["event"],
            r["policy"],
            r["error"],
        )
    console.print(table)
    paging.hint(lambda: total, len(rows))


@alerts_group.command("retry")
@click.argument("alert_ids", nargs=-1, type=int)
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings with the subscribers.")
def alerts_retry(alert_ids: tuple[int, ...], db_url: str | None, config_file: str | None) -> None:
    """Send undelivered alerts now: the given ALERT_IDS, or every failed and waiting one (an
    unconfirmed one — maybe received — only when named). Each gets one more try (channels that
    already have it are skipped; a copy carries the same de-duplication key). Exit 1 if any still fails."""
    from sqlalchemy import select

    from monitor.store.models import Alert
    from notifier.outbox import deliver_pending

    settings = settings_or_exit(config_file)
    db = open_db(db_url, settings, create=False)
    with db.session() as session:
        retryable = ("pending", "failed", "unconfirmed") if alert_ids else ("pending", "failed")
        query = select(Alert).where(Alert.status.in_(retryable))
        if alert_ids:
            query = query.where(Alert.id.in_(alert_ids))
        chosen = list(session.scalars(query))
        for alert in chosen:
            alert.status, alert.next_try_at = "pending", None  # one more try; a failure gives it up again
    if not chosen:
        console.print("nothing to retry: no pending or failed alert" + (" with those ids" if alert_ids else ""))
        return
    stats = deliver_pending(db, settings, now=datetime.now(UTC))
    console.print(f"retried {len(chosen)} alert(s): {stats.sent} delivered, {stats.failed} failed")
    if stats.failed:
        click.echo(f"{stats.failed} alert(s) still failing: policywatch alerts list", err=True)
        sys.exit(1)
