"""Operator commands: `config check`, `subscribers …`, `status`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import tomlkit
from rich.table import Table
from sqlalchemy import func, select

from monitor.cli_common import DEFAULT_CONFIG, config_path, console, err, open_db, settings_or_exit
from monitor.config import (
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
from monitor.store.models import Alert, Event, Policy, Run, Source
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
@click.option("--event", "events", multiple=True, type=click.Choice(EVENT_TYPES), help="Event type (default all).")
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
    _, errors = check_settings(tomlkit.dumps(doc), str(path))
    if errors:
        raise click.UsageError("; ".join(errors))
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
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
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
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
        error = send_message(url, [alert], settings.report_base_url, [url])
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
                f"{len(run.stats or {})} source(s), {events} event(s)"
            )
            for name, st in sorted((run.stats or {}).items()):
                if st.get("failed") or st.get("list_failures") or not st.get("list_pages"):
                    first = (st.get("errors") or ["no list page fetched"])[0]
                    err.print(f"[yellow]failing source[/yellow] {name}: {first}")
        alerts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
        console.print("alerts: " + (", ".join(f"{k} {v}" for k, v in sorted(alerts.items())) or "none"))
        for alert in session.scalars(select(Alert).where(Alert.status == "failed").order_by(Alert.id.desc()).limit(5)):
            err.print(
                f"[red]failed alert[/red] #{alert.id} to {alert.subscriber} after {alert.tries} tries: "
                f"{alert.last_error[:200]}"
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


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
    cli.add_command(subscribers_group)
    cli.add_command(status_command)
