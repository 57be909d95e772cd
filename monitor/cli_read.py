"""Reading what is stored: `policies`, `history`, `export` — tables for people, `--json` lines for
scripts, CSV for spreadsheets. They never create a database (a mistyped path is an error)."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import click
from rich.table import Table
from sqlalchemy import select

from monitor.cli_common import console, emit_json_lines, find_policy, local_time, open_db, settings_or_exit
from monitor.lifecycle import Status
from monitor.store.models import Event, Policy, Source

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
def policies_command(db_url: str | None, statuses: tuple[str, ...], region: str | None, as_json: bool) -> None:
    """Policies with their lifecycle status, 文号 and dates (soonest expiry first)."""
    db = open_db(db_url, settings_or_exit(None), create=False)
    with db.session() as session:
        query = select(Policy).join(Source).order_by(Policy.expires_date.is_(None), Policy.expires_date, Policy.id)
        if statuses:
            query = query.where(Policy.status.in_(statuses))
        if region:
            query = query.where(Source.region.contains(region))
        rows = [policy_row(p) for p in session.scalars(query)]
    if as_json:
        emit_json_lines(rows)
        return
    table = Table(title=f"{len(rows)} policy(ies)")
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


@click.command("history")
@click.argument("policy")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version or event, oldest first.")
def history_command(policy: str, db_url: str | None, as_json: bool) -> None:
    """Versions and events of POLICY (id, URL, 文号 or part of the title)."""
    db = open_db(db_url, settings_or_exit(None), create=False)
    with db.session() as session:
        found = find_policy(session, policy)
        head = f"#{found.id} {found.title} — {found.status} ({found.status_source}: {found.status_evidence})"
        url = found.url
        entries = [
            (
                v.fetched_at,
                {"kind": "version", "what": f"v{v.seq}", "detail": f"hash {v.content_hash[:12]}, HTTP {v.http_status}"},
            )
            for v in found.versions
        ]
        entries += [
            (e.detected_at, {"kind": "event", "what": e.type, "detail": e.summary, "event_id": e.id})
            for e in session.scalars(select(Event).where(Event.policy_id == found.id))
        ]
        entries.sort(key=lambda r: (r[0].replace(tzinfo=None), r[1]["what"]))
        rows = [{"policy_id": found.id, "when": local_time(when), **row} for when, row in entries]
    if as_json:
        emit_json_lines(rows)
        return
    console.print(head, markup=False)
    console.print(url, markup=False)
    table = Table(title="versions and events")
    for col in ("when", "what", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["when"], r["what"], r["detail"])
    console.print(table)


@click.command("export")
@click.option("--db", "db_url", help="Database URL or SQLite file.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--excel", is_flag=True, help="CSV for Excel: with a UTF-8 byte-order mark (else plain UTF-8).")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="File (default: stdout).")
def export_command(db_url: str | None, fmt: str, excel: bool, out: str) -> None:
    """Every policy with its lifecycle, as JSON lines or CSV. Both are UTF-8; `--excel` adds the
    byte-order mark Excel needs to read Chinese text in a CSV (implies --format csv)."""
    db = open_db(db_url, settings_or_exit(None), create=False)
    with db.session() as session:
        rows = [policy_row(p) for p in session.scalars(select(Policy).order_by(Policy.id))]
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


READING_COMMANDS = (policies_command, history_command, export_command)
