"""`sources suggest` and `sources check` against loopback fixture sites, and the re-check policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta

from crawler.recheck import cycle_slot, recheck
from monitor.config import parse_sources
from monitor.sourcecheck import check_source
from tests.fixture_server import Fixture, FixtureServer
from tests.test_unseen_sites import ROBOTS, _art, _gb, _qa, _zc


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def test_suggest_writes_an_entry_that_finds_every_policy() -> None:
    site = {"/robots.txt": ROBOTS, **_qa(1), **_gb(1), **_art(2), **_zc(1)}
    with FixtureServer(site) as server:
        cases = {
            "/qa/zcwj/index.html": ("createPageHTML", "utf-8", 2),
            "/gb/list.jsp?page=1": ("下一页/尾页", "gb18030", 2),
            "/col/col123/1.html": ("页码链接", "utf-8", 3),
            "/zc/zcwj-index-1.shtml": ("页码链接", "utf-8", 3),
        }
        for path, (how, encoding, policies) in cases.items():
            done = _cli("sources", "suggest", server.base + path, "--name", "new-site", "--allow-private")
            assert done.returncode == 0, (path, done.stdout, done.stderr)
            entry = done.stdout
            assert f'start_urls: ["{server.base}{path}"]' in entry
            assert how in entry and f"read as {encoding}" in entry, entry
            # The entry, pasted as it is, finds every policy of the site and nothing else.
            source = parse_sources("sources:\n" + entry)[0]
            assert source.allow and not re.search(source.allow[0], server.base + "/about.html")
            checked = check_source(source)
            assert len(checked.links) == policies, (path, entry, checked.links)
            assert all(d.title and d.body_chars and not d.error for d in checked.details)


def test_suggest_says_when_it_cannot_generalise() -> None:
    page = '<html><body><a href="/a.html">一</a></body></html>'
    with FixtureServer({"/l/": Fixture(page.encode())}) as server:
        done = _cli("sources", "suggest", server.base + "/l/", "--allow-private")
    assert done.returncode == 1 and "write allow (or selectors.list_links) by hand" in done.stdout


def test_sources_check_explains_dropped_links_and_a_blind_list(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with FixtureServer({"/robots.txt": ROBOTS, **_qa(1)}) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"- name: good\n  start_urls: [\"{server.base}/qa/zcwj/index.html\"]\n  allow_private: true\n  allow: ['/qa/zcwj/[^/]+\\.html$']\n"
            f'- name: heuristic\n  start_urls: ["{server.base}/qa/zcwj/index.html"]\n  allow_private: true\n',
            encoding="utf-8",
        )
        good = _cli("sources", "check", "good", "--sources", str(sources))
        blind = _cli("sources", "check", "heuristic", "--sources", str(sources))
    assert good.returncode == 0, good.stderr
    out = good.stdout
    assert "list pages: 2" in out and "createPageHTML" in out and "detail links kept: 2" in out
    assert "not allowed: 2" in out  # 首页, 关于我们
    assert "某区中小企业扶持办法" in out and "某区发〔2019〕5号" in out and "2019-04-02" in out
    # Without allow the named pages do not look like policy pages: the check says why.
    assert blind.returncode == 1 and "heuristic: 4" in blind.stdout and "列表页未发现任何政策链接" in blind.stderr


def test_recheck_policy() -> None:
    url = "http://qu.gov.cn/zcwj/a.html"
    slot_day = date.fromordinal(date(2025, 6, 1).toordinal() // 7 * 7 + cycle_slot(url, 7))
    off_day = slot_day + timedelta(days=1)

    def plan(status: str, day: date, last_full: date | None) -> tuple[bool, bool]:
        r = recheck(url, status, last_full, day, inactive_days=7, full_refetch_days=7)
        return r.due, r.unconditional

    for active in ("现行有效", "即将失效", "尚未生效", "未知"):
        assert plan(active, off_day, off_day - timedelta(days=1)) == (True, False)  # every run, conditional
    assert plan("已废止", off_day, off_day - timedelta(days=1)) == (False, False)  # backs off
    assert plan("已失效", slot_day, slot_day - timedelta(days=3)) == (True, True)  # its day in the cycle
    assert plan("现行有效", slot_day, slot_day) == (True, False)  # already fetched in full today
    assert plan("现行有效", off_day, off_day - timedelta(days=7)) == (True, True)  # overdue after missed runs
    assert plan("现行有效", off_day, None) == (True, False)  # stored before full fetches were recorded
    # Spread: over many URLs, each day of the cycle takes about a seventh.
    days = [cycle_slot(f"http://qu.gov.cn/zcwj/t{i}.html", 7) for i in range(7000)]
    assert all(800 < days.count(d) < 1200 for d in range(7))


def test_retired_recheck_keys_warn_and_new_ones_are_validated(caplog) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from monitor.config import ConfigError

    old = parse_sources('- name: a\n  start_urls: ["http://x.gov.cn/"]\n  recheck_old_days: 7\n')
    assert old[0].full_refetch_days == 7 and "'recheck_old_days' is no longer used" in caplog.text
    with pytest.raises(ConfigError, match="full_refetch_days' must be a positive whole number"):
        parse_sources('- name: a\n  start_urls: ["http://x.gov.cn/"]\n  full_refetch_days: 0\n')


def test_sources_check_reads_a_json_api_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_fixture_sites import SOURCES, _site

    with FixtureServer(_site()) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(SOURCES.format(base=server.base), encoding="utf-8")
        done = _cli("sources", "check", "hd-api", "--sources", str(sources))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "JSON API" in done.stdout and "detail links kept: 1" in done.stdout
    assert "海淀区关于促进金融业高质量发展的若干措施" in done.stdout and "海金融文〔2024〕1号" in done.stdout
