"""Reading what is stored: `policies`, `events`, `history`, `export` — tables for people (a page at a
time), `--json` lines for scripts (streamed), CSV for spreadsheets. They never create a database (a
mistyped path is an error)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from monitor.cli_common import (
    Paging,
    config_option,
    console,
    count_rows,
    emit_json_lines,
    find_policy,
    local_time,
    open_db,
    paging_options,
    settings_or_exit,
)
from monitor.vocab import EventType, Status

if TYPE_CHECKING:
    from monitor.store.models import Policy

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


def policy_row(p: Policy) -> dict[str, Any]:
    """The public shape of a policy (`policies --json`, `export`)."""
    return {
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


@click.command("policies")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only this lifecycle status (repeatable).",
)
@click.option("--region", help="Only sources whose region contains this.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per policy.")
@paging_options
@config_option
def policies_command(
    db_url: str | None,
    statuses: tuple[str, ...],
    region: str | None,
    as_json: bool,
    page: int,
    limit: int | None,
    config_file: str | None,
) -> None:
    """Policies with their lifecycle status, 文号 and dates (soonest expiry first), a page at a time."""
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import contains_eager, joinedload

    from monitor.store.models import Policy, Source

    paging = Paging(page, limit, as_json)
    db = open_db(db_url, settings_or_exit(config_file), create=False)
    with db.session() as session:
        query = (
            select(Policy)
            .join(Source)
            .options(contains_eager(Policy.source), joinedload(Policy.repealed_by))
            .order_by(Policy.expires_date.is_(None), Policy.expires_date, Policy.id)
        )
        if statuses:
            query = query.where(Policy.status.in_(statuses))
        if region:
            query = query.where(Source.region.contains(region))
        if as_json:
            shown = emit_json_lines(
                policy_row(p) for p in session.scalars(paging.window(query).execution_options(yield_per=500))
            )
            paging.hint(lambda: count_rows(session, query), shown)
            return
        total = count_rows(session, query)
        rows = [policy_row(p) for p in session.scalars(paging.window(query))]
    table = Table(title=paging.title(total, len(rows), "policy(ies)"))
    for col in ("id", "status", "policy", "文号", "effective", "expires", "source"):
        table.add_column(col)
    for r in rows:
        presumed = " (推定)" if "presumed" in r["status_source"] else ""
        table.add_row(
            str(r["id"]),
            r["status"] + presumed,
            r["title"],
            r["doc_number"] or "",
            r["effective_date"],
            r["expires_date"],
            r["source"],
        )
    console.print(table)
    paging.hint(lambda: total, len(rows))


@click.command("events")
@click.option("--db", "db_url", help="Database URL (default: $POLICYWATCH_DATABASE_URL, then ./policywatch.db).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--type", "types", multiple=True, type=click.Choice(list(EventType)), help="Only these event types.")
@click.option("--run", "run_id", type=int, help="Only events of this run.")
@paging_options
@config_option
def events_command(
    db_url: str | None,
    as_json: bool,
    types: tuple[str, ...],
    run_id: int | None,
    page: int,
    limit: int | None,
    config_file: str | None,
) -> None:
    """List recorded events (new_policy, text_changed, removed, repealed, expiry_changed, …), oldest
    first, a page at a time."""
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from monitor.events import event_json
    from monitor.store.models import Event, Policy

    paging = Paging(page, limit, as_json)
    db = open_db(db_url, settings_or_exit(config_file), create=False)
    with db.session() as session:
        query = select(Event).order_by(Event.id)
        if types:
            query = query.where(Event.type.in_(types))
        if run_id is not None:
            query = query.where(Event.run_id == run_id)
        loaded = paging.window(query).options(
            joinedload(Event.source),
            joinedload(Event.policy).joinedload(Policy.source),
            joinedload(Event.policy).selectinload(Policy.aliases),
        )
        if as_json:
            shown = emit_json_lines(event_json(e) for e in session.scalars(loaded.execution_options(yield_per=500)))
            paging.hint(lambda: count_rows(session, query), shown)
            return
        total = count_rows(session, query)
        rows = [event_json(e) for e in session.scalars(loaded)]
    table = Table(title=paging.title(total, len(rows), "event(s)"))
    for col in ("id", "run", "type", "policy", "summary"):
        table.add_column(col)
    for row in rows:
        table.add_row(str(row["id"]), str(row["run_id"]), row["type"], row["policy_title"], row["summary"])
    console.print(table)
    paging.hint(lambda: total, len(rows))


@click.command("history")
@click.argument("policy")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version or event, oldest first.")
@paging_options
@config_option
def history_command(
    policy: str, db_url: str | None, as_json: bool, page: int, limit: int | None, config_file: str | None
) -> None:
    """Versions and events of POLICY (id, URL, 文号 or part of the title), oldest first."""
    from rich.table import Table
    from sqlalchemy import select

    from monitor.store.models import Event, Version

    paging = Paging(page, limit, as_json)
    db = open_db(db_url, settings_or_exit(config_file), create=False)
    with db.session() as session:
        found = find_policy(session, policy)
        head = f"#{found.id} {found.title} — {found.status} ({found.status_source}: {found.status_evidence})"
        url = found.url
        versions = session.execute(
            select(Version.fetched_at, Version.seq, Version.content_hash, Version.http_status).where(
                Version.policy_id == found.id
            )
        )
        entries = [
            (when, {"kind": "version", "what": f"v{seq}", "detail": f"hash {digest[:12]}, HTTP {http}"})
            for when, seq, digest, http in versions
        ]
        entries += [
            (e.detected_at, {"kind": "event", "what": e.type, "detail": e.summary, "event_id": str(e.id)})
            for e in session.scalars(select(Event).where(Event.policy_id == found.id))
        ]
        entries.sort(key=lambda r: (r[0].replace(tzinfo=None), r[1]["what"]))
        rows = [{"policy_id": found.id, "when": local_time(when), **row} for when, row in paging.rows(entries)]
    if as_json:
        paging.hint(lambda: len(entries), emit_json_lines(rows))
        return
    console.print(head, markup=False)
    console.print(url, markup=False)
    table = Table(title=paging.title(len(entries), len(rows), "version(s) and event(s)"))
    for col in ("when", "what", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["when"], r["what"], r["detail"])
    console.print(table)
    paging.hint(lambda: len(entries), len(rows))


@click.command("export")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--excel", is_flag=True, help="CSV for Excel: with a UTF-8 byte-order mark (else plain UTF-8).")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="File (default: stdout).")
@config_option
def export_command(db_url: str | None, fmt: str, excel: bool, out: str, config_file: str | None) -> None:
    """Every policy with its lifecycle, as JSON lines or CSV. Both are UTF-8; `--excel` adds the
    byte-order mark Excel needs to read Chinese text in a CSV (implies --format csv). Rows are
    written as they are read (a library of any size streams)."""
    import csv
    import io
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from monitor.store.models import Policy

    db = open_db(db_url, settings_or_exit(config_file), create=False)
    query = (
        select(Policy)
        .options(joinedload(Policy.source), joinedload(Policy.repealed_by))
        .order_by(Policy.id)
        .execution_options(yield_per=500)
    )
    with db.session() as session:
        rows = (policy_row(p) for p in session.scalars(query))
        stream = sys.stdout.buffer if out == "-" else open(out, "wb")  # noqa: SIM115
        fh = io.TextIOWrapper(stream, encoding="utf-8-sig" if excel else "utf-8", newline="")  # csv writes \r\n itself
        try:
            if fmt == "json" and not excel:
                fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            else:
                writer = csv.DictWriter(fh, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                writer.writerows(rows)
            fh.flush()
        finally:
            if out == "-":
                fh.detach()  # leave stdout open for click
            else:
                fh.close()


READING_COMMANDS = (policies_command, events_command, history_command, export_command)
