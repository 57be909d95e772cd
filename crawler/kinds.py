"""Source kinds: how a source's list of policies is read — one small class per kind, registered by
its name (as urlwatch registers its job kinds). A source's `kind:` in the sources file names one.

A kind reads one list response into the detail links it announces and the further list pages to
follow; the spider does the rest (fetching, re-checks, removals). A new kind is a subclass with a
`name` and a `read`, defined in a module that is imported before the crawl: `policywatch run`
hands every registered kind to its crawl process, a bare `scrapy crawl` sees those its settings
module imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from crawler.apilist import api_links, api_rows, bump_query
from crawler.listing import LinkRules, discover
from monitor.config import ConfigError, SourceConfig
from monitor.contracts import ListedLink
from monitor.encoding import decode_html

if TYPE_CHECKING:
    from scrapy.http import Response  # kinds are checked (config check, run) without importing Scrapy


@dataclass(slots=True)
class ListRead:
    """What one list response says."""

    links: list[ListedLink] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)  # further list pages to follow, in order
    capped: list[str] = field(default_factory=list)  # further list pages left out (max_list_pages): reported
    redirect: str = ""  # the response is only a redirect shell to this list page
    error: str = ""  # why the response could not be read as a list


class SourceKind:
    """Base of every kind; subclasses with a `name` register themselves."""

    name: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[SourceKind]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            SourceKind.registry[cls.name] = cls

    def __init__(self, source: SourceConfig) -> None:
        self.source = source

    def problem(self) -> str:
        """What is wrong with the source's options for this kind ("" when nothing)."""
        return ""

    def read(self, response: Response, seen: set[str]) -> ListRead:
        """One list response (status 200) → links and further pages; `seen`: list pages requested so far."""
        raise NotImplementedError

    def follow(self, pages: list[str], seen: set[str], limit: int) -> tuple[list[str], list[str]]:
        """(pages to follow, pages left out) of `pages`, keeping at most `limit` list pages in all."""
        new = [page for page in dict.fromkeys(pages) if page not in seen]
        room = max(limit - len(seen), 0)
        return new[:room], new[room:]


class HtmlList(SourceKind):
    """List pages of a government CMS (crawler/listing.py, crawler/pagination.py)."""

    name = "html"

    def read(self, response: Response, seen: set[str]) -> ListRead:
        _, text = decode_html(response.body, (response.headers.get(b"Content-Type") or b"").decode("latin-1"))
        listing = discover(text, response.url, rules=LinkRules.of(self.source))
        if listing.redirect:
            return ListRead(redirect=listing.redirect)
        follow, capped = self.follow(listing.next_pages, seen, self.source.max_list_pages)
        return ListRead(listing.links, follow, capped)


class JsonApi(SourceKind):
    """A policy library's JSON search API (crawler/apilist.py; the `api:` mapping in seeds/sources.yaml)."""

    name = "json_api"

    def problem(self) -> str:
        return "" if self.source.api else "a json_api source needs an 'api' mapping (rows, title, url, …)"

    def read(self, response: Response, seen: set[str]) -> ListRead:
        api = self.source.api or {}
        try:
            rows = api_rows(response.body, api)
        except (ValueError, KeyError, TypeError) as exc:
            return ListRead(error=f"bad JSON: {exc}")
        links = [link for link in api_links(rows, api, response.url) if self.source.allows(link.url)]
        page_param = api.get("next_page")
        if not rows or not page_param:
            return ListRead(links)
        # The API's own page limit (api.max_pages) is the operator's choice: stopping there is not a cap.
        limit = int(api.get("max_pages", self.source.max_list_pages))
        follow, _ = self.follow([bump_query(response.url, str(page_param))], seen, limit)
        return ListRead(links, follow)


def kind_check(source: SourceConfig) -> list[tuple[str, str]]:
    """What is wrong with the source's kind, as (key, what) for the sources file's reader
    (`load_sources(path, check=kind_check)`: reported on the `kind:` line); [] when nothing."""
    cls = SourceKind.registry.get(source.kind)
    if cls is None:
        known = ", ".join(f"'{name}'" for name in sorted(SourceKind.registry))
        return [("kind", f"unknown kind '{source.kind}' (known: {known})")]
    problem = cls(source).problem()
    return [("kind", problem)] if problem else []


def source_kind(source: SourceConfig) -> SourceKind:
    """The source's kind, ready to read its lists; ConfigError when it is unknown or its options are wrong."""
    problems = kind_check(source)
    if problems:
        raise ConfigError([f"source '{source.name}': {what}" for _, what in problems])
    return SourceKind.registry[source.kind](source)
