"""Source kinds are a registry (crawler/kinds.py): a kind is one small class with a name. This module
registers a kind of its own — a plain-text list of policy addresses, one per line — and crawls a
loopback site with it, touching no other file; and a kind that does not exist, or a json_api source
without its `api` mapping, is named on its line when the sources file is read."""

from __future__ import annotations

from datetime import date
from urllib.parse import urljoin

import pytest
from scrapy.http import Response

from crawler.kinds import ListRead, SourceKind, kind_check
from monitor.cli_run import DEMO_SCRAPY
from monitor.config import ConfigError, Settings, parse_sources
from monitor.contracts import ListedLink
from monitor.runner import run_once
from monitor.store.db import Database
from tests.fault_server import policy_page
from tests.fixture_server import Fixture, FixtureServer

SOURCE = "- name: a\n  start_urls: [http://x.gov.cn/list]\n"


class UrlLines(SourceKind):
    """A list that is a text file of addresses; `#` starts a comment; `next: URL` is the next page."""

    name = "url_lines"

    def read(self, response: Response, seen: set[str]) -> ListRead:
        lines = [line.strip() for line in response.text.splitlines() if line.strip() and not line.startswith("#")]
        pages = [urljoin(response.url, line[5:].strip()) for line in lines if line.startswith("next:")]
        links = [ListedLink(urljoin(response.url, line)) for line in lines if not line.startswith("next:")]
        follow, capped = self.follow(pages, seen, self.source.max_list_pages)
        return ListRead(links, follow, capped)


def test_an_unknown_kind_and_a_json_api_without_api_are_named_on_their_line() -> None:
    assert parse_sources(SOURCE + "  kind: url_lines\n", "s.yaml", check=kind_check)[0].kind == "url_lines"
    with pytest.raises(ConfigError) as unknown:
        parse_sources(f"# sources\n{SOURCE}  kind: rss\n", "s.yaml", check=kind_check)
    assert unknown.value.problems[0].startswith("s.yaml:4: source 'a': unknown kind 'rss' (known: 'html', 'json_api'")
    with pytest.raises(ConfigError, match=r"^s.yaml:3: source 'a': a json_api source needs an 'api' mapping"):
        parse_sources(SOURCE + "  kind: json_api\n", "s.yaml", check=kind_check)


@pytest.mark.slow
def test_a_kind_registered_here_crawls_a_site(db: Database) -> None:
    paths = [f"/zcwj/202501/t20250102_{n}.html" for n in range(1, 5)]
    pages = {path: Fixture(policy_page(n).encode()) for n, path in enumerate(paths, 1)}
    pages["/list.txt"] = Fixture(f"# policies\n{paths[0]}\n{paths[1]}\nnext: /list2.txt\n".encode(), "text/plain")
    pages["/list2.txt"] = Fixture("\n".join(paths[2:]).encode(), "text/plain")
    with FixtureServer(pages) as server:
        sources = parse_sources(
            f'- name: own\n  kind: url_lines\n  start_urls: ["{server.base}/list.txt"]\n  allow_private: true\n',
            check=kind_check,
        )
        result = run_once(
            db, sources, Settings(), report_dir=None, today=date(2026, 11, 28), scrapy_overrides=DEMO_SCRAPY
        )
        fetched = {path for path, _ in server.requests}
    stats = result.source_stats["own"]
    assert result.status == "ok", stats
    assert stats["list_pages"] == 2 and stats["new"] == 4
    assert set(paths) <= fetched


def test_sources_check_reads_a_registered_kind_by_the_kind_itself() -> None:
    from monitor.sourcecheck import check_source

    paths = [f"/zcwj/202501/t20250102_{n}.html" for n in range(1, 4)]
    pages = {path: Fixture(policy_page(n).encode()) for n, path in enumerate(paths, 1)}
    pages["/list.txt"] = Fixture(f"{paths[0]}\nnext: /list2.txt\n".encode(), "text/plain")
    pages["/list2.txt"] = Fixture("\n".join(paths[1:]).encode(), "text/plain")
    with FixtureServer(pages) as server:
        (source,) = parse_sources(
            f'- name: own\n  kind: url_lines\n  start_urls: ["{server.base}/list.txt"]\n  allow_private: true\n'
        )
        result = check_source(source, details=2)
    assert [(p.url.removeprefix(server.base), p.how, p.links) for p in result.pages] == [
        ("/list.txt", "url_lines", 1),
        ("/list2.txt", "url_lines", 2),
    ]
    assert [link.url.removeprefix(server.base) for link in result.links] == paths
    assert [d.title for d in result.details] == [f"某区关于支持第{n}类企业发展的若干措施" for n in (1, 2)]
