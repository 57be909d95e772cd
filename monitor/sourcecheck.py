"""`policywatch sources check NAME`: what a run would do on a source today — its list pages (and how
each was found), the detail links kept and the links dropped with the reason, and what the first
detail pages read as. Fetched once, stored nowhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from crawler.apilist import api_links, api_rows
from crawler.listing import LinkRules, discover
from monitor.config import SourceConfig
from monitor.contracts import ListedLink
from monitor.extract import ExtractError, detect_block_page
from monitor.ingest import parse_page
from monitor.netguard import AddressRefused
from monitor.readpolicy import fetch

Fetch = Callable[[str], tuple[int, str]]
MAX_REDIRECT_SHELLS = 3


@dataclass(frozen=True, slots=True)
class ListPageSeen:
    url: str
    how: str  # start URL, createPageHTML, Pager, 下一页/尾页, 页码链接, redirect shell
    status: int
    links: int


@dataclass(frozen=True, slots=True)
class DetailSeen:
    url: str
    title: str = ""
    doc_number: str = ""
    published: str = ""
    effective: str = ""
    expires: str = ""
    body_chars: int = 0
    error: str = ""


@dataclass(slots=True)
class SourceCheck:
    mode: str  # allow, selector or heuristic: who decides which links are policy pages
    pages: list[ListPageSeen] = field(default_factory=list)
    links: list[ListedLink] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # url → deny / not allowed / heuristic / off-site
    capped: list[str] = field(default_factory=list)  # list pages past max_list_pages
    details: list[DetailSeen] = field(default_factory=list)


def rules_mode(rules: LinkRules) -> str:
    return "allow" if rules.allow else "selector" if rules.selector else "heuristic"


def _walk_lists(source: SourceConfig, rules: LinkRules, result: SourceCheck, get: Fetch) -> None:
    """The list pages a run would crawl, in order, up to max_list_pages."""
    queue = [(url, "start URL") for url in source.start_urls]
    seen = {url for url, _ in queue}
    kept: set[str] = set()
    shells = 0
    while queue:
        url, how = queue.pop(0)
        status, html = get(url)
        listing = discover(html, url, rules=rules) if 0 < status < 400 else None
        if listing is not None and listing.redirect and shells < MAX_REDIRECT_SHELLS:
            shells += 1
            if listing.redirect not in seen:
                seen.add(listing.redirect)
                queue.insert(0, (listing.redirect, "redirect shell"))
            continue
        result.pages.append(ListPageSeen(url, how, status, len(listing.links) if listing else 0))
        if listing is None:
            continue
        for link in listing.links:
            if link.url not in kept:
                kept.add(link.url)
                result.links.append(link)
        for url_dropped, why in listing.dropped:
            result.dropped.setdefault(url_dropped, why)
        for page in listing.next_pages:
            if page in seen:
                continue
            seen.add(page)
            if len(result.pages) + len(queue) < source.max_list_pages:
                queue.append((page, listing.page_how[page]))
            else:
                result.capped.append(page)
    for url in kept:
        result.dropped.pop(url, None)


def _read_api(source: SourceConfig, rules: LinkRules, result: SourceCheck, get: Fetch) -> None:
    """A JSON policy-library source: its first API page's rows, as the spider reads them."""
    url = source.start_urls[0]
    status, body = get(url)
    try:
        links = api_links(api_rows(body, source.api or {}), source.api or {}, url) if 0 < status < 400 else []
    except (ValueError, KeyError, TypeError):
        links = []
    result.pages.append(ListPageSeen(url, "JSON API", status, len(links)))
    for link in links:
        why = rules.verdict(link.url, url) if rules.allow or rules.deny else ""
        if why:
            result.dropped[link.url] = why
        else:
            result.links.append(link)


def _read_by_kind(source: SourceConfig, rules: LinkRules, result: SourceCheck, get: Fetch) -> None:
    """A source of a kind with no walker of its own here (crawler/kinds.py): its lists read by the
    kind itself, as the spider reads them, up to max_list_pages."""
    from scrapy.http import TextResponse

    from crawler.kinds import source_kind

    kind = source_kind(source)
    queue, seen, kept = list(source.start_urls), set(source.start_urls), set[str]()
    while queue:
        url = queue.pop(0)
        status, text = get(url)
        response = TextResponse(url, status=status or 599, body=text.encode("utf-8"), encoding="utf-8")
        read = kind.read(response, seen) if 0 < status < 400 else None
        result.pages.append(ListPageSeen(url, kind.name, status, len(read.links) if read else 0))
        if read is None:
            continue
        result.links += [link for link in read.links if link.url not in kept]
        kept.update(link.url for link in read.links)
        result.capped += read.capped
        for page in [read.redirect] if read.redirect else read.next_pages:
            if page not in seen:
                seen.add(page)
                queue.append(page)


# The walkers with diagnostics of their own (how each list page was found, links dropped and why).
_WALKERS = {"html": _walk_lists, "json_api": _read_api}


def _read_detail(source: SourceConfig, link: ListedLink, get: Fetch) -> DetailSeen:
    status, html = get(link.url)
    blocked = detect_block_page(html, status) if 0 < status < 400 else f"HTTP {status or 'no answer'}"
    if blocked:
        return DetailSeen(link.url, error=blocked)
    try:
        parsed = parse_page(html, link.url, source, list_fields=link.fields)
    except ExtractError as exc:
        return DetailSeen(link.url, error=str(exc))
    lc = parsed.lifecycle
    return DetailSeen(
        link.url,
        title=parsed.document.title,
        doc_number=lc.doc_number,
        published=str(lc.published or ""),
        effective=f"{lc.effective.date or '?'} {lc.effective.rule}".strip(),
        expires=f"{lc.expires.date or '—'} {lc.expires.rule}".strip(),
        body_chars=len(parsed.document.body_text),
    )


def _safe(get: Fetch) -> Fetch:
    """A page that cannot be fetched at all reads as status 0 (shown), not a crash."""

    def wrapped(url: str) -> tuple[int, str]:
        try:
            return get(url)
        except (OSError, AddressRefused):
            return 0, ""

    return wrapped


def check_source(source: SourceConfig, get: Fetch | None = None, details: int = 5) -> SourceCheck:
    get = _safe(get or partial(fetch, allow_private=source.allow_private))
    rules = LinkRules.of(source)
    result = SourceCheck(rules_mode(rules))
    _WALKERS.get(source.kind, _read_by_kind)(source, rules, result, get)
    result.details = [_read_detail(source, link, get) for link in result.links[:details]]
    return result
