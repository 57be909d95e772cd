"""What every `policywatch` command shares: consoles, logging, opening the database and the config.

The CLI modules import only click, rich's console and the standard library at the top: everything
heavier (SQLAlchemy, Scrapy, apprise, the extractors) is imported inside the command that needs it,
so `policywatch --help` and `policywatch status` do not pay for what they never use
(tests/test_cli_imports.py keeps it so)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from monitor.exitcodes import EXIT_CANNOT_RUN
from monitor.paths import DEFAULT_CONFIG, config_path, sources_path

if TYPE_CHECKING:
    from rich.progress import TaskID
    from sqlalchemy.orm import Session

    from monitor.config import ConfigError, Settings, SourceConfig
    from monitor.store.db import Database
    from monitor.store.models import Policy

PIPE_WIDTH = 100_000  # tables in pipes, files and cron mail are as wide as their content


class _Console(Console):
    """A rich console that never cuts a table to 80 columns when its output is not a terminal."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console(soft_wrap=True)  # long lines (paths, URLs, errors) stay whole for cron mail and grep
err = _Console(stderr=True, soft_wrap=True)


def heading(text: str) -> None:
    """A rule across a terminal; a plain line elsewhere."""
    if console.is_terminal:
        console.rule(text)
    else:
        console.print(f"== {text} ==", markup=False, highlight=False)


def local_time(moment: datetime | None) -> str:
    """`shanghai()` for a time that may be missing."""
    return shanghai(moment) if moment is not None else ""


def emit_json_lines(rows: Iterable[dict[str, Any]]) -> int:
    """--json: one JSON object per line (jq, grep and pandas read it alike), written as each row
    comes; returns how many."""
    count = 0
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))
        count += 1
    return count


def setup_logging(verbose: int, log_json: bool = False) -> None:
    from monitor.logjson import configure_logging

    configure_logging(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING, log_json)


def shanghai(moment: datetime) -> str:
    """A stored time as operators read it: Asia/Shanghai, with the zone shown."""
    from monitor.localtime import in_shanghai

    return in_shanghai(moment).strftime("%Y-%m-%d %H:%M (UTC+08:00)")


def masked_db(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def open_db(db_url: str | None, settings: Settings, *, create: bool = True) -> Database:
    """Open and upgrade the database, or exit 2 with a clear message (the password masked).
    Reading commands pass create=False: a mistyped SQLite path is an error, not a new empty file."""
    return open_db_url(db_url, settings.database_url, create=create)


def open_db_url(db_url: str | None, config_url: str | None, *, create: bool = True) -> Database:
    """open_db with the config file's database URL already read (`configured_database_url`)."""
    from monitor.store.db import Database, resolve_database_url, sqlite_file

    url = resolve_database_url(db_url, config_url)
    try:
        path = sqlite_file(url)
    except Exception:
        err.print(f"[red]not a database URL or path:[/red] {masked_db(url)} (e.g. policywatch.db, postgresql://…)")
        sys.exit(EXIT_CANNOT_RUN)
    if path is not None and not create and not path.is_file():
        err.print(
            f"[red]no database at {path}[/red]: nothing has been stored there "
            "(give --db PATH or $POLICYWATCH_DATABASE_URL, or run `policywatch run` first)"
        )
        sys.exit(EXIT_CANNOT_RUN)
    try:
        db = Database(url)
        db.upgrade()
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        err.print(f"[red]cannot open database[/red] {masked_db(url)}: {type(exc).__name__}: {first_line}")
        sys.exit(EXIT_CANNOT_RUN)
    return db


def config_error(exc: ConfigError) -> None:
    """Every mistake on its own line, each with its file:line."""
    err.print("[red]configuration error:[/red] " + escape("\n".join(exc.problems)))


def settings_or_exit(option: str | None) -> Settings:
    from monitor.config import ConfigError, load_settings

    try:
        return load_settings(config_path(option))
    except ConfigError as exc:
        config_error(exc)
        sys.exit(EXIT_CANNOT_RUN)


def configured_database_url(option: str | None) -> str | None:
    """The settings file's `[database] url` (the whole file checked, as settings_or_exit does);
    without a settings file, None at once: the configuration models (pydantic, ~0.1 s to import)
    are not loaded for nothing."""
    if config_path(option) is None:
        return None
    return settings_or_exit(option).database_url


def config_option(func: Any) -> Any:
    """--config FILE: the settings (its `[database] url` among them); default ./policywatch.toml."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        help=f"Settings file (default: ./{DEFAULT_CONFIG} when present); its [database] url is used unless --db is given.",
    )(func)


def sources_option(func: Any) -> Any:
    """--sources FILE: default ./seeds/sources.yaml in a checkout, else the catalogue shipped in the package."""
    return click.option(
        "--sources",
        "sources_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="YAML file listing the sources (default: ./seeds/sources.yaml, else the bundled catalogue).",
    )(func)


def sources_or_exit(sources_file: str | None, names: Sequence[str] = ()) -> list[SourceConfig]:
    """The sources of a file (only `names` if given), or exit 2 naming the mistake and its line."""
    from crawler.kinds import kind_check
    from monitor.config import ConfigError, load_sources, sources_by_name

    try:
        # Each source's kind exists and has the options it needs (crawler/kinds.py), named on its line.
        sources = load_sources(sources_path(sources_file), check=kind_check)
        return sources_by_name(sources, list(names)) if names else sources
    except ConfigError as exc:
        config_error(exc)
        sys.exit(EXIT_CANNOT_RUN)


def find_policy(session: Session, ref: str) -> Policy:
    """A policy by id, URL, 文号 or a unique part of its title."""
    from sqlalchemy import select

    from monitor.store.models import Policy

    if ref.isdigit():
        found = session.get(Policy, int(ref))
        if found is not None:
            return found
    for condition in (Policy.url == ref, Policy.doc_number == ref, Policy.title.contains(ref)):
        hits = list(session.scalars(select(Policy).where(condition).limit(5)))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = "; ".join(f"#{p.id} {p.title}" for p in hits)
            raise click.UsageError(f"'{ref}' matches several policies: {names}")
    raise click.UsageError(f"no policy matches '{ref}' (give an id, URL, 文号 or part of the title)")


class CrawlProgress:
    """A rich progress bar per source (pages done / pages known), fed by the crawl child; silent
    when stdout is not a terminal (cron, systemd), where the per-source summary table suffices."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.enabled = console.is_terminal
        self.bar = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not self.enabled,
        )
        self.tasks: dict[str, TaskID] = {}

    def update(self, source: str, done: int, total: int, finished: bool) -> None:
        if source not in self.tasks:
            self.tasks[source] = self.bar.add_task(source, total=max(total, 1))
        self.bar.update(self.tasks[source], completed=done, total=max(total, done, 1))
        if finished:
            self.bar.update(self.tasks[source], description=f"{source} ✓")

    def __enter__(self) -> CrawlProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


DEFAULT_PAGE_ROWS = 50


def paging_options(func: Any) -> Any:
    """--page N / --limit N for a listing command (the command takes `page` and `limit`)."""
    func = click.option(
        "--limit",
        type=click.IntRange(min=0),
        default=None,
        help=f"Rows per page (default: {DEFAULT_PAGE_ROWS} in a table, every row with --json; 0: every row).",
    )(func)
    return click.option(
        "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of rows to show."
    )(func)


class Paging:
    """One page of a listing: a table shows DEFAULT_PAGE_ROWS rows at a time and says how many more
    there are; --json gives every row (streamed as read), unless --limit or --page asks for a page."""

    def __init__(self, page: int, limit: int | None, as_json: bool) -> None:
        if limit is None:
            limit = 0 if as_json and page == 1 else DEFAULT_PAGE_ROWS
        self.page = page
        self.limit = limit or None  # None: every row
        self.offset = (page - 1) * limit

    def window(self, query: Any) -> Any:
        """An SQLAlchemy Select cut to this page."""
        return query if self.limit is None else query.offset(self.offset).limit(self.limit)

    def rows(self, items: Sequence[Any]) -> Sequence[Any]:
        """The same cut of a list already in memory."""
        return items if self.limit is None else items[self.offset : self.offset + self.limit]

    def title(self, total: int, shown: int, noun: str) -> str:
        """'10,009 policy(ies)', or '10,009 policy(ies), 51–100 shown' when the table is one page of them."""
        if shown in (0, total):
            return f"{total:,} {noun}"
        return f"{total:,} {noun}, {self.offset + 1:,}–{self.offset + shown:,} shown"

    def hint(self, total: Callable[[], int], shown: int) -> None:
        """'9,959 more: --page 2 (--limit 0 lists every row)' on stderr when rows are left after this
        page (`total` is only asked when a page was cut)."""
        if self.limit is None or shown < self.limit:
            return
        more = total() - self.offset - shown
        if more > 0:
            err.print(
                f"{more:,} more: --page {self.page + 1} (--limit 0 lists every row)", markup=False, highlight=False
            )


def count_rows(session: Session, query: Any) -> int:
    """How many rows a Select gives (without its ordering, paging or eager loads)."""
    from sqlalchemy import func, select

    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
