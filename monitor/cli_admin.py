"""Operator commands: `config check`, `subscribers …`, `status`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.markup import escape

from monitor.cli_common import (
    DEFAULT_CONFIG,
    config_path,
    console,
    emit_json_lines,
    err,
    open_db,
    settings_or_exit,
    sources_option,
    sources_or_exit,
    sources_path,
)
from monitor.cli_ops import alerts_group, status_command
from monitor.cli_read import READING_COMMANDS
from monitor.exitcodes import EXIT_CANNOT_RUN, EXIT_PARTIAL
from monitor.secrets import mask_url
from monitor.vocab import SUBSCRIBABLE_EVENTS, DeliveryMode, Importance


@click.group("config")
def config_group() -> None:
    """Check the settings and sources files."""


@config_group.command("check")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help=f"Default: ./{DEFAULT_CONFIG}.")
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    help="The sources file to check (default: the one `run` reads, ./seeds/sources.yaml or the bundled catalogue).",
)
def config_check(config_file: str | None, sources_file: str | None) -> None:
    """Validate the config (and sources) file; every mistake is printed with its line. Exit 2 on any."""
    from crawler.kinds import kind_check
    from monitor.config import ConfigError, check_settings, load_sources
    from notifier.urlcheck import subscriber_url_problems

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
            if settings is not None:
                problems += subscriber_url_problems(settings, text, str(path), os.environ)
                _warn_about_links(settings.subscribers, settings.report_base_url, path)
    sources = sources_path(sources_file)  # the file `run` and `schedule` would read
    try:
        console.print(f"{sources}: {len(load_sources(sources, check=kind_check))} source(s)")
    except ConfigError as exc:
        problems += exc.problems
    for problem in problems:
        err.print(f"[red]✗[/red] {escape(problem)}")
    if problems:
        sys.exit(EXIT_CANNOT_RUN)
    console.print("[green]configuration OK[/green]")


def _warn_about_links(subscribers: Sequence[object], base_url: str, path: Path) -> None:
    """Alerts link to the diff only through [report] base_url: a warning (not a mistake) without it."""
    if not subscribers or base_url.startswith(("http://", "https://")):
        return
    shown = f"'{base_url}' is not an http(s) address" if base_url else "is empty"
    err.print(
        f"[yellow]warning:[/yellow] {escape(str(path))}: [report] base_url {escape(shown)}: alerts to the "
        f"{len(subscribers)} subscriber(s) cannot link to the diff, only to the original page — set it to "
        "where `policywatch serve` or the report is published (https://…)"
    )


@click.group("subscribers")
def subscribers_group() -> None:
    """List, add, remove and test subscribers (stored in the config file)."""


def _config_file(config_file: str | None) -> Path:
    return config_path(config_file) or Path(DEFAULT_CONFIG)


@subscribers_group.command("list")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per subscriber (secrets masked).")
def subscribers_list(config_file: str | None, as_json: bool) -> None:
    """Subscribers with their channels (secrets masked) and filters."""
    from rich.table import Table

    from monitor.config import EVENT_TYPES

    settings = settings_or_exit(config_file)
    if as_json:
        emit_json_lines(
            {
                "name": sub.name,
                "urls": [mask_url(u) for u in sub.urls],
                "events": list(sub.events),
                "regions": list(sub.regions),
                "sources": list(sub.sources),
                "keywords": list(sub.keywords),
                "min_importance": sub.min_importance,
                "mode": sub.mode,
            }
            for sub in settings.subscribers
        )
        return
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
    type=click.Choice([str(t) for t in SUBSCRIBABLE_EVENTS]),
    help="Event type (default: all policy events; source_failing/source_recovered are opt-in for operators).",
)
@click.option("--region", "regions", multiple=True)
@click.option("--source", "sources", multiple=True)
@click.option("--keyword", "keywords", multiple=True)
@click.option("--min-importance", type=click.Choice([str(i) for i in Importance]), default="low", show_default=True)
@click.option("--mode", type=click.Choice([str(m) for m in DeliveryMode]), default="immediate", show_default=True)
@click.option(
    "--allow-plaintext-secret",
    is_flag=True,
    help="Write a password or robot key given literally into the file (default: refused; use ${VAR}).",
)
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
    allow_plaintext_secret: bool,
    config_file: str | None,
) -> None:
    """Add subscriber NAME to the config file (its comments and layout are kept).

    A robot webhook address copied from WeCom, DingTalk or Feishu is stored as its apprise URL
    (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K → wecombot://K). Secrets belong in the
    environment: a URL with a password or robot key written out is refused unless
    --allow-plaintext-secret; write ${VAR} instead (expanded only when a message is sent)."""
    from monitor.subscriber_edit import SubscriberEntry, SubscriberError, add_subscriber, prepare_urls, renamed

    path = _config_file(config_file)
    try:
        stored = prepare_urls(urls, allow_plaintext_secret)
        entry = SubscriberEntry(name, tuple(stored), events, regions, sources, keywords, min_importance, mode)
        add_subscriber(path, entry)
    except SubscriberError as exc:
        raise click.UsageError(str(exc)) from None
    for line in renamed(urls, stored):
        console.print(line, markup=False)
    console.print(f"added '{name}' to {path}")


@subscribers_group.command("remove")
@click.argument("name")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_remove(name: str, config_file: str | None) -> None:
    """Remove subscriber NAME from the config file."""
    from monitor.subscriber_edit import SubscriberError, remove_subscriber

    path = _config_file(config_file)
    try:
        remove_subscriber(path, name)
    except SubscriberError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"removed '{name}' from {path}")


@subscribers_group.command("test")
@click.argument("name")
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
def subscribers_test(name: str, config_file: str | None) -> None:
    """Send a sample alert to every channel of NAME; report success or the channel's error per URL."""
    settings = settings_or_exit(config_file)
    sub = next((s for s in settings.subscribers if s.name == name), None)
    if sub is None:
        raise click.UsageError(f"no subscriber '{name}'")
    from monitor.subscriber_edit import send_test_alert

    outcomes = send_test_alert(sub, settings)
    for outcome in outcomes:
        if outcome.error:
            err.print(
                f"[red]✗[/red] {escape(outcome.error if outcome.url in outcome.error else outcome.url + ': ' + outcome.error)}"
            )
        else:
            console.print(f"[green]✓[/green] {escape(outcome.url)}: delivered")
    failed = any(o.error for o in outcomes)
    sys.exit(EXIT_PARTIAL if failed else 0)


@click.command("schedule")
@sources_option
@click.option("--config", "config_file", type=click.Path(dir_okay=False))
@click.option("--db", "db_url", help="Database URL (jobs are stored there too).")
def schedule_command(sources_file: str | None, config_file: str | None, db_url: str | None) -> None:
    """Run as a daemon: each source on its own `schedule` (cron, Asia/Shanghai), time-based lifecycle
    events daily, the alert outbox every 5 minutes. SIGTERM lets the current crawl finish, then exits."""
    from monitor.config import ConfigError
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


def register(cli: click.Group) -> None:
    from monitor.cli_sources import sources_group

    cli.add_command(sources_group)
    for command in (
        config_group,
        subscribers_group,
        status_command,
        alerts_group,
        schedule_command,
        *READING_COMMANDS,
    ):
        cli.add_command(command)
