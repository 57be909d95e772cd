"""The `policywatch` command."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from monitor.cli_admin import register as register_admin_commands
from monitor.cli_common import (
    config_option,
    console,
    err,
    find_policy,
    open_db,
    settings_or_exit,
    setup_logging,
)
from monitor.cli_reprocess import reprocess_command
from monitor.cli_run import RUN_COMMANDS
from monitor.cli_serve import serve as serve_command
from monitor.exitcodes import EXIT_CANNOT_RUN
from monitor.teardown import ending

if TYPE_CHECKING:
    pass


class PipeSafeGroup(click.Group):
    """`policywatch export | head` ends quietly with 0: a reader that stopped reading is not an error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # Python's documented pattern: point stdout at /dev/null so the exit flush cannot fail.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)


@click.group(cls=PipeSafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v: per page, -vv: debug).")
@click.option("--log-json", is_flag=True, help="Log lines as JSON objects (for log collectors).")
@click.version_option(package_name="policywatch")
@click.pass_context
def cli(ctx: click.Context, verbose: int, log_json: bool) -> None:
    """policywatch — watch Chinese government policy pages.

    Crawls policy list and detail pages, stores a version whenever the normalised text changes,
    diffs article by article, reads effective/expiry dates and repeals, and alerts subscribers.
    Start with `policywatch demo` to see it work on a bundled offline site.
    """
    ctx.ensure_object(dict)["verbose"] = verbose
    setup_logging(verbose, log_json)


@cli.command()
@click.option("--db", "db_url", help="Database URL.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Directory (default: [report] dir of the config, else report).",
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only runs started on or after this date.")
@config_option
def report(db_url: str | None, out_dir: str | None, since: Any, config_file: str | None) -> None:
    """Re-render the static HTML report from the database."""
    from monitor.policystatus import today_in_shanghai
    from monitor.report import render_report

    settings = settings_or_exit(config_file)
    db = open_db(db_url, settings, create=False)
    index = render_report(
        db, out_dir or settings.report_dir, today=today_in_shanghai(), since=since.date() if since else None
    )
    console.print(f"report written: {index}")


@cli.command()
@click.argument("policy")
@click.option("--db", "db_url", help="Database URL.")
@click.option("--from", "from_seq", type=int, help="Old version number (default: the one before --to).")
@click.option("--to", "to_seq", type=int, help="New version number (default: the latest).")
@config_option
def diff(policy: str, db_url: str | None, from_seq: int | None, to_seq: int | None, config_file: str | None) -> None:
    """Show what changed in POLICY (id, URL, 文号 or part of the title), article by article."""
    from monitor.diff import diff_documents
    from monitor.normalise import document_from_json
    from monitor.terminal import print_diff

    db = open_db(db_url, settings_or_exit(config_file), create=False)
    with db.session() as session:
        found = find_policy(session, policy)
        versions = {v.seq: v for v in found.versions}
        if not versions:
            raise click.UsageError(f"#{found.id} has no stored version yet")
        new_seq = to_seq or max(versions)
        old_seq = from_seq or max((s for s in versions if s < new_seq), default=new_seq)
        missing = [s for s in (old_seq, new_seq) if s not in versions]
        if missing:
            raise click.UsageError(f"#{found.id} has versions {sorted(versions)}, not {missing}")
        old, new = versions[old_seq], versions[new_seq]
        result = diff_documents(document_from_json(old.document), document_from_json(new.document))
        print_diff(console, result, f"#{found.id} {found.title}  v{old_seq} → v{new_seq}")


@cli.command()
@click.argument("path_or_url")
@click.option("--published", type=click.DateTime(["%Y-%m-%d"]), help="Publication date, when the page lacks it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the documented contract).")
@click.option("--allow-private", is_flag=True, help="Allow a URL on a loopback/private/link-local address.")
def extract(path_or_url: str, published: Any, as_json: bool, allow_private: bool) -> None:
    """Read a policy's lifecycle from an HTML file, a plain-text file or an http(s) URL: 文号, issuers,
    publish/effective/expiry dates, repeals and the status today."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from monitor.netguard import cli_wording
    from monitor.readpolicy import read_policy

    try:
        result = read_policy(path_or_url, published.date() if published else None, allow_private=allow_private)
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot read {escape(path_or_url)}:[/red] {escape(cli_wording(str(exc)))}")
        sys.exit(EXIT_CANNOT_RUN)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    table = Table(show_header=False)
    for key, value in result.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    console.print(table)


register_admin_commands(cli)
for command in RUN_COMMANDS:
    cli.add_command(command)
cli.add_command(reprocess_command)
cli.add_command(serve_command)


def main() -> None:
    code: int | str | None = 0
    try:
        cli(prog_name="policywatch")
    except SystemExit as done:  # every command ends so; its frames go with the exception
        code = done.code
    ending()
    sys.exit(code)


if __name__ == "__main__":
    main()
