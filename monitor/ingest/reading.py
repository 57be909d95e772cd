"""Reading a fetched page before anything is stored: what the fetch is (monitor.ingest.triage) and,
for a readable page, its document and facts (monitor.derive). No database: the crawl process reads
each page while the store process stores the ones before it (crawler/pipelines.py), so the two
halves of the work use both cores."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from lxml.html import HtmlElement

from monitor.config import SourceConfig
from monitor.contracts import PageItem
from monitor.derive import ParsedPage, parse_page
from monitor.extract import ExtractError, parse_html
from monitor.ingest.triage import Fetch, Triage, triage

log = logging.getLogger("policywatch.ingest")


@dataclass(frozen=True, slots=True)
class Reading:
    verdict: Triage
    parsed: ParsedPage | None = None  # a readable page's meaning
    failure: str = ""  # why a readable page could not be read (then `parsed` is None)
    empty: bool = False  # read, and no policy text found in it


def read_page(item: PageItem, source: SourceConfig, list_fields: Mapping[str, str]) -> Reading:
    """`list_fields`: what the list or API row that led to the page said (official 有效性 and the
    like), or what it said when the page was last listed."""
    tree = _tree(item.text)  # parsed once: the block-page and not-found checks and the extraction read it
    verdict = triage(item, tree)
    if verdict.fetch is not Fetch.READABLE:
        return Reading(verdict)
    try:
        parsed = parse_page(item.text, item.url, source, item.attachments, list_fields, tree)
    except ExtractError as exc:
        return Reading(verdict, failure=str(exc), empty=True)
    except Exception as exc:  # a bug or a library failure on one page must not stop the source
        log.exception("[%s] extraction crashed on %s", source.name, item.url)
        return Reading(verdict, failure=f"extraction error: {type(exc).__name__}: {exc}")
    return Reading(verdict, parsed, empty=not parsed.document.title.strip())


def _tree(text: str) -> HtmlElement | None:
    """The page's tree; None when there is no text or it does not parse (each reader then says why)."""
    if not text:
        return None
    try:
        return parse_html(text)
    except ExtractError:
        return None
