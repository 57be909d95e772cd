"""Operator commands: `config check`, `subscribers …`, `status`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import tomlkit
from rich.table import Table
from sqlalchemy import func, select

import monitor.derive as derivation
from monitor.cli_common import (
    DEFAULT_CONFIG,
    config_path,
    console,
    err,
    find_policy,
    open_db,
    settings_or_exit,
    shanghai,
    sources_option,
    sources_or_exit,
    sources_path,
)
from monitor.config import (
    ALL_EVENT_TYPES,
    DELIVERY_MODES,
    EVENT_TYPES,
    IMPORTANCE,
    ConfigError,
    check_settings,
    expand_env,
    load_sources,
)
from monitor.exitcodes import EXIT_CANNOT_RUN, EXIT_PARTIAL
from monitor.lifecycle import today_in_shanghai
from monitor.store.models import Alert, Event, Policy, Run, Source, Version
from notifier.secrets import mask_url


@click.group("config")
def config_group() -> None:
    """Check the settings and sources files."""


@config_group.command("check")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help=f"Default: ./{DEFAULT_CONFIG}.")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False), help="Also check a sources file.")
def config_check(config_file: str | None, sources_file: str | None) -> None:
    """Validate the config (and sources) file; every mistake is printed with its line. Exit 2 on any."""
    problems: list[str] = []
    path = config_path(config_file)
    if path is None:
        console.print(f"no {DEFAULT_CONFIG} here: the defaults apply")
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
        else:
            settings, errors = check_settings(text, str(path))
            problems += errors
            for sub in settings.subscribers if settings else ():
                for url in sub.urls:
                    try:
                        expand_env(url)
                    except ConfigError as exc:
                        problems.append(f"{path}: subscriber '{sub.name}' ({mask_url(url)}): {exc}")
    if sources_file:
        try:
            console.print(f"{sources_file}: {len(load_sources(sources_file))} source(s)")
        except ConfigError as exc:
            problems.append(str(exc))
    for problem in problems:
        err.print(f"[red]✗[/red] {problem}")
    if problems:
        sys.exit(EXIT_CANNOT_RUN)
    console.print("[green]configuration OK[/green]")


@click.group("subscribers")
def subscribers_group() -> None:
    """List, add, remove and test subscribers (stored in the config file)."""


def _document(config_file: str | None) -> tuple[Path, tomlkit.TOMLDocument]:
    path = config_path(config_file) or Path(DEFAULT_CONFIG)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return path, tomlkit.parse(text)


def _save(path: Path, doc: tomlkit.TOMLDocument) -> None:
    """Write the edited config only if it is still valid (comments and layout are kept by tomlkit)."""
    text = tomlkit.dumps(doc)
    _, errors = check_settings(text, str(path))
    if errors:
        raise click.UsageError("; ".join(errors))
    path.write_text(text, encoding="utf-8")


@subscribers_group.command("list")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_list(config_file: str | None) -> None:
    """Subscribers with their channels (secrets masked) and filters."""
    settings = settings_or_exit(config_file)
    table = Table(title=f"{len(settings.subscribers)} subscriber(s)")
    for col in ("name", "channels", "events", "filters", "mode"):
        table.add_column(col)
    for sub in settings.subscribers:
        filters = [
            f"{k}={','.join(v)}"
            for k, v in (("regions", sub.regions), ("sources", sub.sources), ("keywords", sub.keywords))
            if v
        ]
        filters.append(f"min_importance={sub.min_importance}")
        events = "all" if set(sub.events) == set(EVENT_TYPES) else ", ".join(sub.events)
        table.add_row(sub.name, "\n".join(mask_url(u) for u in sub.urls), events, "\n".join(filters), sub.mode)
    console.print(table)


@subscribers_group.command("add")
@click.argument("name")
@click.option("--url", "urls", multiple=True, required=True, help="apprise URL (repeatable); use ${ENV} for secrets.")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(ALL_EVENT_TYPES),
    help="Event type (default: all policy events; source_failing/source_recovered are opt-in for operators).",
)
@click.option("--region", "regions", multiple=True)
@click.option("--source", "sources", multiple=True)
@click.option("--keyword", "keywords", multiple=True)
@click.option("--min-importance", type=click.Choice(IMPORTANCE), default="low", show_default=True)
@click.option("--mode", type=click.Choice(DELIVERY_MODES), default="immediate", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_add(
    name: str,
    urls: tuple[str, ...],
    events: tuple[str, ...],
    regions: tuple[str, ...],
    sources: tuple[str, ...],
    keywords: tuple[str, ...],
    min_importance: str,
    mode: str,
    config_file: str | None,
) -> None:
    """Add subscriber NAME to the config file (its comments and layout are kept)."""
    path, doc = _document(config_file)
    table = tomlkit.table()
    table.add("name", name)
    table.add("urls", list(urls))
    for key, value in (("events", events), ("regions", regions), ("sources", sources), ("keywords", keywords)):
        if value:
            table.add(key, list(value))
    table.add("min_importance", min_importance)
    table.add("mode", mode)
    subs = doc.get("subscribers")
    if subs is None:
        subs = tomlkit.aot()
        doc.append("subscribers", subs)
    if any(s.get("name") == name for s in subs):
        raise click.UsageError(f"subscriber '{name}' already exists in {path}")
    subs.append(table)
    _save(path, doc)
    console.print(f"added '{name}' to {path}")


@subscribers_group.command("remove")
@click.argument("name")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_remove(name: str, config_file: str | None) -> None:
    """Remove subscriber NAME from the config file."""
    path, doc = _document(config_file)
    subs = doc.get("subscribers") or []
    keep = [s for s in subs if s.get("name") != name]
    if len(keep) == len(subs):
        raise click.UsageError(f"no subscriber '{name}' in {path}")
    del doc["subscribers"]
    if keep:
        aot = tomlkit.aot()
        for s in keep:
            aot.append(s)
        doc.append("subscribers", aot)
    _save(path, doc)
    console.print(f"removed '{name}' from {path}")


@subscribers_group.command("test")
@click.argument("name")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_test(name: str, config_file: str | None) -> None:
    """Send a sample alert to every channel of NAME; report success or the channel's error per URL."""
    from notifier.outbox import send_message
    from notifier.sample import sample_alert

    settings = settings_or_exit(config_file)
    sub = next((s for s in settings.subscribers if s.name == name), None)
    if sub is None:
        raise click.UsageError(f"no subscriber '{name}'")
    failed = False
    alert = sample_alert(sub.name)
    for raw in sub.urls:
        try:
            url = expand_env(raw)
        except ConfigError as exc:
            err.print(f"[red]✗[/red] {mask_url(raw)}: {exc}")
            failed = True
            continue
        error = send_message(url, [alert], settings.report_base_url, [url], settings.alert_timeout)
        if error:
            err.print(f"[red]✗[/red] {error}")
            failed = True
        else:
            console.print(f"[green]✓[/green] {mask_url(raw)}: delivered")
    sys.exit(EXIT_PARTIAL if failed else 0)


@click.command("status")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def status_command(db_url: str | None, config_file: str | None) -> None:
    """Last run, failing sources, pending and failed alerts, policies expiring in 30 days."""
    settings = settings_or_exit(config_file)
    db = open_db(db_url, settings)
    today = today_in_shanghai()
    with db.session() as session:
        run = session.scalar(select(Run).order_by(Run.id.desc()).limit(1))
        if run is None:
            console.print("no run yet: start with `policywatch run` (or `policywatch demo`)")
        else:
            events = session.scalar(select(func.count()).select_from(Event).where(Event.run_id == run.id))
            console.print(
                f"last run #{run.id}: {run.status}, started {run.started_at:%Y-%m-%d %H:%M}, "
                f"{len(run.stats or {})} source(s), {events} event(s), "
                f"alerts sent {run.alerts_sent}, failed {run.alerts_failed}"
            )
            for name, st in sorted((run.stats or {}).items()):
                if not st.get("failing") and (st.get("failed") or st.get("list_failures") or not st.get("list_pages")):
                    first = (st.get("errors") or ["no list page fetched"])[0]
                    err.print(f"[yellow]source with errors[/yellow] {name}: {first}")
        for source in session.scalars(select(Source).where(Source.failing_since.is_not(None)).order_by(Source.name)):
            err.print(
                f"[red]failing source[/red] {source.name} (since {shanghai(source.failing_since)}): "
                f"{source.failing_reason}"
            )
        alerts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
        console.print("alerts: " + (", ".join(f"{k} {v}" for k, v in sorted(alerts.items())) or "none"))
        given_up = select(Alert).where(Alert.status.in_(("failed", "unconfirmed"))).order_by(Alert.id.desc())
        for alert in session.scalars(given_up.limit(5)):
            err.print(
                f"[red]{alert.status} alert[/red] #{alert.id} to {alert.subscriber} after {alert.tries} tries: "
                f"{alert.last_error[:200]}"
            )
        stale = session.scalar(select(func.count()).where(Version.derived_by != derivation.DERIVATION_VERSION))
        if stale:
            err.print(
                f"[yellow]{stale} stored version(s) were read by an older extractor/normaliser[/yellow]: "
                "`policywatch reprocess` updates their facts and statuses at once (nothing is sent)"
            )
        soon = list(
            session.scalars(
                select(Policy)
                .where(Policy.expires_date >= today, Policy.expires_date <= today + timedelta(days=30))
                .order_by(Policy.expires_date)
            )
        )
        table = Table(title=f"{len(soon)} policy(ies) expiring within 30 days")
        for col in ("expires", "policy", "source"):
            table.add_column(col)
        for p in soon:
            table.add_row(p.expires_date.isoformat() if p.expires_date else "", p.title, p.source.name)
        console.print(table)
        n_sources = session.scalar(select(func.count()).select_from(Source))
        console.print(f"{n_sources} source(s) known; checked {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


@click.command("schedule")
@sources_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--db", "db_url", help="Database URL (jobs are stored there too).")
def schedule_command(sources_file: str | None, config_file: str | None, db_url: str | None) -> None:
    """Run as a daemon: each source on its own `schedule` (cron, Asia/Shanghai), time-based lifecycle
    events daily, the alert outbox every 5 minutes. SIGTERM lets the current crawl finish, then exits."""
    from monitor.schedule import build_scheduler, serve_forever

    settings = settings_or_exit(config_file)
    sources = sources_or_exit(sources_file)
    db = open_db(db_url, settings)
    path = config_path(config_file)
    try:
        scheduler = build_scheduler(
            db, sources, str(sources_path(sources_file).resolve()), str(path.resolve()) if path else None
        )
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        sys.exit(EXIT_CANNOT_RUN)
    serve_forever(scheduler)


@click.command("policies")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--status", "statuses", multiple=True, help="Only this status (现行有效, 已废止, …; repeatable).")
@click.option("--region", help="Only sources whose region contains this.")
def policies_command(db_url: str | None, statuses: tuple[str, ...], region: str | None) -> None:
    """Policies with their lifecycle status, 文号 and dates."""
    db = open_db(db_url, settings_or_exit(None))
    with db.session() as session:
        query = select(Policy).join(Source).order_by(Policy.expires_date.is_(None), Policy.expires_date, Policy.id)
        if statuses:
            query = query.where(Policy.status.in_(statuses))
        if region:
            query = query.where(Source.region.contains(region))
        rows = list(session.scalars(query))
        table = Table(title=f"{len(rows)} policy(ies)")
        for col in ("id", "status", "policy", "文号", "effective", "expires", "source"):
            table.add_column(col)
        for p in rows:
            presumed = " (推定)" if "presumed" in p.status_source else ""
            table.add_row(
                str(p.id),
                p.status + presumed,
                p.title,
                p.doc_number or "",
                str(p.effective_date or ""),
                str(p.expires_date or ""),
                p.source.name,
            )
        console.print(table)


@click.command("history")
@click.argument("policy")
@click.option("--db", "db_url", help="Database URL.")
def history_command(policy: str, db_url: str | None) -> None:
    """Versions and events of POLICY (id, URL, 文号 or part of the title)."""
    db = open_db(db_url, settings_or_exit(None))
    with db.session() as session:
        found = find_policy(session, policy)
        console.print(f"#{found.id} {found.title} — {found.status} ({found.status_source}: {found.status_evidence})")
        console.print(f"{found.url}")
        table = Table(title="versions and events")
        for col in ("when", "what", "detail"):
            table.add_column(col)
        rows = [
            (v.fetched_at, f"v{v.seq}", f"hash {v.content_hash[:12]}, HTTP {v.http_status}") for v in found.versions
        ]
        rows += [
            (e.detected_at, e.type, e.summary)
            for e in session.scalars(select(Event).where(Event.policy_id == found.id))
        ]
        for when, what, detail in sorted(rows, key=lambda r: (r[0].replace(tzinfo=None), r[1])):
            table.add_row(f"{when:%Y-%m-%d %H:%M}", what, detail)
        console.print(table)


EXPORT_FIELDS = (
    "id",
    "title",
    "doc_number",
    "issuer",
    "status",
    "status_source",
    "published",
    "effective_date",
    "expires_date",
    "url",
    "source",
    "region",
    "repealed_by",
)


@click.command("export")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="File (default: stdout).")
def export_command(db_url: str | None, fmt: str, out: Any) -> None:
    """Every policy with its lifecycle, as JSON lines or CSV (UTF-8)."""
    import csv
    import json

    db = open_db(db_url, settings_or_exit(None))
    with db.session() as session:
        rows = [
            {
                "id": p.id,
                "title": p.title,
                "doc_number": p.doc_number,
                "issuer": p.issuer,
                "status": p.status,
                "status_source": p.status_source,
                "published": str(p.published or ""),
                "effective_date": str(p.effective_date or ""),
                "expires_date": str(p.expires_date or ""),
                "url": p.url,
                "source": p.source.name,
                "region": p.source.region,
                "repealed_by": p.repealed_by.title if p.repealed_by else "",
            }
            for p in session.scalars(select(Policy).order_by(Policy.id))
        ]
    if fmt == "json":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    writer.writerows(rows)


def register(cli: click.Group) -> None:
    from monitor.cli_sources import sources_group

    cli.add_command(sources_group)
    for command in (
        config_group,
        subscribers_group,
        status_command,
        schedule_command,
        policies_command,
        history_command,
        export_command,
    ):
        cli.add_command(command)
