"""`policywatch sources check NAME`: what the spider would see on a source's first list page and
its first detail page, fetched once, stored nowhere."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.items import ListedLink
from crawler.listing import discover
from monitor.config import SourceConfig
from monitor.extract import detect_block_page
from monitor.ingest import parse_page
from monitor.readpolicy import fetch


@dataclass(slots=True)
class SourceCheck:
    list_url: str
    links: list[ListedLink]
    next_pages: list[str]
    detail_url: str = ""
    detail: dict[str, str] | None = None


def check_source(source: SourceConfig, max_redirect_shells: int = 3) -> SourceCheck:
    url = source.start_urls[0]
    for _ in range(max_redirect_shells + 1):
        status, html = fetch(url)
        listing = discover(html, url, allows=source.allows, link_selector=source.selectors.list_links)
        if not listing.redirect:
            break
        url = listing.redirect
    result = SourceCheck(url, listing.links, listing.next_pages)
    if not listing.links:
        return result
    result.detail_url = listing.links[0].url
    status, html = fetch(result.detail_url)
    blocked = detect_block_page(html, status)
    if blocked:
        result.detail = {"error": blocked}
        return result
    parsed = parse_page(html, result.detail_url, source)
    lc = parsed.lifecycle
    result.detail = {
        "title": parsed.document.title,
        **{k: v for k, v in parsed.fields.items() if k not in ("Description", "Keywords")},
        "clauses": str(len(parsed.document.clauses)),
        "first clause": parsed.document.clauses[0].text[:80] if parsed.document.clauses else "",
        "effective": f"{lc.effective.date or '?'} ({lc.effective.rule or '—'})",
        "expires": f"{lc.expires.date or '—'} ({lc.expires.rule or '—'})",
        "repeals": "；".join(f"《{r.title}》{r.doc_number}" for r in lc.repeals) or "—",
    }
    return result
