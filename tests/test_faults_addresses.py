"""Where policywatch may fetch from (#17 part 5): only http(s), and — unless a source sets
`allow_private: true` — only public addresses: literal private/loopback/link-local addresses are
refused when the sources file is read, host names when they resolve (at fetch time, every redirect
hop included), in the crawl and in the one-off `extract URL` / `sources suggest URL`. The sources
file is read with a safe loader. Real crawls and real commands against a loopback site."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import ConfigError, Settings, parse_sources
from monitor.netguard import address_kind, resolved_refusal
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.store.models import Version
from tests.fault_server import Fault, FaultSite, list_page, policy_page

pytestmark = pytest.mark.faults

PW = [sys.executable, "-m", "monitor.cli"]
TODAY = date(2025, 6, 1)
# A name (not a literal address) that this machine resolves to itself, e.g. its own host name.
LOCAL_NAME = socket.gethostname()
needs_local_name = pytest.mark.skipif(
    not resolved_refusal(f"http://{LOCAL_NAME}/"), reason=f"{LOCAL_NAME} does not resolve to a private address"
)


def _source(url: str, allow_private: bool = False) -> str:
    return f'- name: s\n  start_urls: ["{url}"]\n' + ("  allow_private: true\n" if allow_private else "")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.gov.cn/zcwj/", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "not an http(s) URL"),
        ("http://127.0.0.1:8080/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://10.1.2.3/zcwj/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
    ],
)
def test_sources_file_refuses_other_schemes_and_private_addresses(url: str, why: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_sources(_source(url))
    message = str(refused.value)
    assert "<sources>:2: source 's'" in message and url in message and why in message
    if "http(s)" not in why:  # a private address is allowed by the source's own opt-in, a scheme never
        assert "allow_private: true" in message
        assert parse_sources(_source(url, allow_private=True))[0].allow_private
    else:
        with pytest.raises(ConfigError, match=r"not an http\(s\) URL"):
            parse_sources(_source(url, allow_private=True))


def test_public_addresses_and_names_pass_and_allow_private_must_be_a_boolean() -> None:
    for url in ("http://www.beijing.gov.cn/zhengce/", "https://8.8.8.8/", "http://[2001:4860::8888]/"):
        assert parse_sources(_source(url))[0].allow_private is False
    assert address_kind("114.114.114.114") == "" and address_kind("::ffff:10.0.0.1") == "private"
    with pytest.raises(ConfigError, match="'allow_private' must be true or false, not 'yes'"):
        parse_sources('- name: s\n  start_urls: ["http://127.0.0.1/"]\n  allow_private: "yes"\n')


def test_yaml_is_read_with_a_safe_loader(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = (
        f"- !!python/object/apply:os.system ['touch {marker}']\n"
        "- name: s\n  start_urls: !!python/object/new:str ['http://www.gov.cn/']\n"
    )
    with pytest.raises(ConfigError) as refused:
        parse_sources(hostile, "sources.yaml")
    assert "sources.yaml:1:" in str(refused.value) and "python/object" in str(refused.value)
    assert not marker.exists()
    (tmp_path / "sources.yaml").write_text(hostile, encoding="utf-8")
    done = subprocess.run(
        [*PW, "config", "check", "--sources", str(tmp_path / "sources.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "python/object" in done.stdout + done.stderr and not marker.exists()
    assert "Traceback" not in done.stderr


def _versions(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Version)) or 0)


@needs_local_name
def test_a_crawl_refuses_a_host_name_that_resolves_to_a_private_address(db: Database) -> None:
    with FaultSite() as site:
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html"]))
        site.publish("/zcwj/202501/t1.html", policy_page(1))
        url = site.base.replace("127.0.0.1", LOCAL_NAME) + "/zcwj/index.html"
        sources = parse_sources(_source(url))  # a name: nothing to judge without resolving it
        refused = run_once(db, sources, Settings(), report_dir=None, today=TODAY, scrapy_overrides=DEMO_SCRAPY)
        assert site.requests == []  # not even robots.txt
        errors = "\n".join(refused.source_stats["s"]["errors"])
        assert refused.exit_code == 1 and "address refused" in errors and "loopback" in errors, errors
        assert _versions(db) == 0

        allowed = run_once(
            db,
            parse_sources(_source(url, True)),
            Settings(),
            report_dir=None,
            today=TODAY,
            scrapy_overrides=DEMO_SCRAPY,
        )
        assert allowed.exit_code == 0 and site.hits("/zcwj/202501/t1.html") == 1 and _versions(db) == 1


def _asked(site: FaultSite, tail: str) -> int:
    return sum(1 for path, _ in site.requests if path.endswith(tail))


@pytest.fixture
def via_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultSite]:
    """A 'public' site reached through an HTTP proxy on loopback (the proxy is the fault server: it
    serves full URLs), so a public page can redirect to a private address."""
    with FaultSite() as proxy:
        for var in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("http_proxy", proxy.base)
        yield proxy


def test_a_redirect_to_a_private_address_is_refused_mid_crawl(db: Database, via_proxy: FaultSite) -> None:
    public = "http://policy.example"
    secret = via_proxy.base + "/admin/secret.html"
    via_proxy.publish(f"{public}/zcwj/index.html", list_page([f"{public}/zcwj/t1.html", f"{public}/zcwj/t2.html"]))
    via_proxy.publish(f"{public}/zcwj/t1.html", policy_page(1))
    via_proxy.publish(f"{public}/zcwj/t2.html", policy_page(2))
    via_proxy.faults[f"{public}/zcwj/t2.html"] = Fault("redirect", status=302, location=secret)
    via_proxy.publish("/admin/secret.html", policy_page(99))
    result = run_once(
        db,
        parse_sources(_source(f"{public}/zcwj/index.html") + "  allow: ['/zcwj/t\\d']\n"),
        Settings(),
        report_dir=None,
        today=TODAY,
        scrapy_overrides=DEMO_SCRAPY,
    )
    assert via_proxy.hits(f"{public}/zcwj/t1.html") == 1 and via_proxy.hits(f"{public}/zcwj/t2.html") == 1
    assert _asked(via_proxy, "secret.html") == 0  # the hop was refused before it went out (directly or by proxy)
    errors = result.source_stats["s"]["errors"]
    assert any("t2.html" in e and "address refused" in e and "loopback" in e for e in errors), errors
    assert _versions(db) == 1 and result.source_stats["s"]["removed"] == 0


def test_extract_refuses_other_schemes_and_a_redirect_to_a_private_address(via_proxy: FaultSite) -> None:
    env = {**os.environ}
    secret = via_proxy.base + "/p.html"
    via_proxy.publish("/p.html", policy_page(7))
    via_proxy.faults["http://policy.example/moved.html"] = Fault("redirect", status=301, location=secret)
    cases = {
        "file:///etc/passwd": "scheme 'file' refused",
        "ftp://example.gov.cn/a.html": "scheme 'ftp' refused",
        "http://policy.example/moved.html": "127.0.0.1 is not a public address (loopback)",
    }
    for url, why in cases.items():
        done = subprocess.run([*PW, "extract", url, "--json"], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2 and why in done.stderr and "Traceback" not in done.stderr, (url, done.stderr)
    assert _asked(via_proxy, "/p.html") == 0
    env.pop("http_proxy")  # straight to the loopback address from here on
    done = subprocess.run([*PW, "extract", secret, "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "pass --allow-private" in done.stderr
    done = subprocess.run(
        [*PW, "extract", secret, "--json", "--allow-private"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and "某政发〔2025〕7号" in done.stdout


def test_sources_suggest_and_check_refuse_private_addresses(tmp_path: Path) -> None:
    with FaultSite() as site:
        site.publish("/zcwj/index.html", list_page(["/zcwj/202501/t1.html"]))
        url = f"{site.base}/zcwj/index.html"
        done = subprocess.run([*PW, "sources", "suggest", url], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "loopback" in done.stderr and "--allow-private" in done.stderr
        done = subprocess.run([*PW, "sources", "suggest", "ftp://x/"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "scheme 'ftp' refused" in done.stderr
        assert site.requests == []
        if resolved_refusal(f"http://{LOCAL_NAME}/"):
            sources = tmp_path / "sources.yaml"
            sources.write_text(_source(url.replace("127.0.0.1", LOCAL_NAME)), encoding="utf-8")
            done = subprocess.run(
                [*PW, "sources", "check", "s", "--sources", str(sources)], capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 2 and "address refused" in done.stderr and site.requests == []
