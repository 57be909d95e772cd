"""`policywatch sources list|check|suggest`: the configured sources, what a run would do on one
today, and a ready entry for a new list page."""

from __future__ import annotations

import sys

import click

from monitor.cli_common import console, emit_json_lines, err, sources_option, sources_or_exit, sources_path
from monitor.exitcodes import EXIT_CANNOT_RUN, EXIT_PARTIAL


@click.group("sources")
def sources_group() -> None:
    """List the configured sources, check what a run would do on one, or suggest a new one."""


@sources_group.command("list")
@sources_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
def sources_list(sources_file: str | None, as_json: bool) -> None:
    """The sources in a sources file."""
    from rich.table import Table

    sources = sources_or_exit(sources_file)
    if as_json:
        emit_json_lines(
            {
                "name": s.name,
                "region": s.region,
                "kind": s.kind,
                "start_urls": list(s.start_urls),
                "schedule": s.schedule,
            }
            for s in sources
        )
        return
    table = Table(title=f"{len(sources)} source(s) in {sources_path(sources_file)}")
    for col in ("name", "region", "start URLs", "schedule"):
        table.add_column(col)
    for s in sources:
        table.add_row(s.name, s.region, "\n".join(s.start_urls), s.schedule)
    console.print(table)


@sources_group.command("check")
@click.argument("name")
@sources_option
@click.option("--details", default=5, show_default=True, help="How many detail pages to read.")
def sources_check(name: str, sources_file: str | None, details: int) -> None:
    """What a run would do on NAME today: every list page (and how it was found), the detail links
    kept and the links dropped with the reason (deny, not allowed, heuristic, off-site), and the
    title, 文号, dates and body length of the first detail pages. Stores nothing.
    Exit 1 when the lists give no detail link or a detail page reads empty."""
    from rich.markup import escape

    from monitor.netguard import resolved_refusal
    from monitor.sourcecheck import check_source

    source = sources_or_exit(sources_file, [name])[0]
    for url in source.start_urls:
        refusal = resolved_refusal(url, source.allow_private)
        if refusal:
            err.print(f"[red]address refused[/red]: {escape(url)}: {escape(refusal)}")
            sys.exit(EXIT_CANNOT_RUN)
    report = check_source(source, details=details)
    decides = {
        "allow": f"allow {list(source.allow)}",
        "selector": f"selectors.list_links '{source.selectors.list_links}'",
        "heuristic": "the URL heuristic (no allow, no list_links given)",
    }[report.mode]
    console.print(f"[bold]{name}[/bold]: policy links decided by {decides}")
    console.print(f"list pages: {len(report.pages)}")
    for page in report.pages:
        status = f"HTTP {page.status}" if page.status else "no answer"
        console.print(f"  {page.how:<14} {status:<9} {page.links:>4} link(s)  {page.url}")
    for url in report.capped[:3]:
        err.print(f"[yellow]not crawled (max_list_pages={source.max_list_pages})[/yellow]: {url}")
    if report.capped:
        err.print(f"[yellow]{len(report.capped)} list page(s) past max_list_pages would not be crawled[/yellow]")
    console.print(f"detail links kept: {len(report.links)}")
    for link in report.links[:20]:
        console.print(f"  {link.date or '':10}  {link.title[:40]}  {link.url}")
    reasons: dict[str, list[str]] = {}
    for url, why in report.dropped.items():
        reasons.setdefault(why, []).append(url)
    console.print(f"links dropped: {len(report.dropped)}")
    for why, urls in sorted(reasons.items()):
        console.print(f"  {why}: {len(urls)}, e.g. " + ", ".join(urls[:3]))
    console.print(f"first {len(report.details)} detail page(s):")
    for d in report.details:
        if d.error:
            err.print(f"  [red]{d.error}[/red]  {d.url}")
            continue
        console.print(
            f"  {d.title[:40]} | 文号 {d.doc_number or '—'} | 发布 {d.published or '—'} | 施行 {d.effective} | "
            f"有效期至 {d.expires} | 正文 {d.body_chars} 字\n    {d.url}"
        )
    if not report.links:
        err.print("[red]列表页未发现任何政策链接[/red]: check start_urls, allow / selectors.list_links")
        sys.exit(EXIT_PARTIAL)
    if any(d.error or not d.body_chars or not d.title for d in report.details):
        err.print("[red]some detail pages read empty[/red]: check selectors.title / selectors.body")
        sys.exit(EXIT_PARTIAL)


@sources_group.command("suggest")
@click.argument("url")
@click.option("--name", help="Name for the entry (default: from the host and column).")
@click.option("--allow-private", is_flag=True, help="Allow a loopback/private/link-local address (an intranet site).")
def sources_suggest(url: str, name: str | None, allow_private: bool) -> None:
    """Fetch the list page URL and print a source entry to paste into sources.yaml: start_urls, an
    allow regex generalised from the links found, the pagination detected and the encoding."""
    from functools import partial

    from rich.markup import escape

    from monitor.netguard import cli_wording, resolved_refusal
    from monitor.readpolicy import fetch_decoded
    from monitor.suggest import default_name, source_yaml, suggest

    refusal = resolved_refusal(url, allow_private)
    if refusal:
        err.print(f"[red]address refused[/red]: {escape(url)}: {escape(cli_wording(refusal))}")
        sys.exit(EXIT_CANNOT_RUN)
    try:
        found = suggest(url, partial(fetch_decoded, allow_private=allow_private))
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot fetch[/red] {url}: {exc}")
        sys.exit(EXIT_PARTIAL)
    console.print(source_yaml(found, name or default_name(url), allow_private), highlight=False, markup=False)
    if not found.allow:
        sys.exit(EXIT_PARTIAL)
