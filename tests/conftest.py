"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL whenever it is reachable
(in CI, where CI=true, an unreachable PostgreSQL is a failure, not a skip)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from monitor.store.db import Database

# Test tiers. `pytest -m "not slow"` runs the unit and database tiers (pure functions, the unit of work
# fed items directly, message layout, the web app in-process) in about a minute; the slow tier crawls
# real loopback sites with Scrapy in child processes, runs the CLI as a subprocess, kills runs, drives
# Chromium, or fuzzes. Modules whose every test does one of those are listed here; single slow tests
# elsewhere carry `@pytest.mark.slow` themselves.
SLOW_MODULES = frozenset(
    {
        "test_catalogue",
        "test_cli",
        "test_cron",
        "test_demo_run",
        "test_distributed",
        "test_fixture_sites",
        "test_operations",
        "test_real_corpus",
        "test_report",
        "test_sources_tools",
        "test_throttle",
        "test_unseen_sites",
        "test_upgrade",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if name in SLOW_MODULES or item.get_closest_marker("faults"):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a fault-suite run (`pytest -m faults`), the closing table of #17: what was injected and
    what survived. Every fault test asserts the exact versions, events and alerts it expects, so the
    false/missed/duplicated counts are 0 exactly when no fault test failed."""
    from tests.fault_server import LEDGER

    if not LEDGER:
        return
    reports = [r for key in ("passed", "failed", "error") for r in terminalreporter.stats.get(key, [])]
    faulty = [r for r in reports if r.when == "call" and ("test_faults_" in r.nodeid or "test_fuzz" in r.nodeid)]
    failed = sum(1 for r in faulty if not r.passed)
    proven = "0" if not failed else f"unproven: {failed} fault test(s) failed"
    rows = [
        ("fault tests passed", sum(1 for r in faulty if r.passed)),
        ("web faults injected (responses)", LEDGER["web faults injected"]),
        ("delivery faults injected (receiver answers)", LEDGER["delivery faults injected"]),
        ("crawl runs against the fault site", LEDGER["crawl runs"]),
        ("kill points survived", LEDGER["kill points survived"]),
        ("planted changes alerted exactly once", LEDGER["planted changes alerted"]),
        ("alerts counted by a receiver", LEDGER["alerts counted by a receiver"]),
        ("false alerts", proven),
        ("missed planted changes", proven),
        ("duplicated or lost alerts", proven),
    ]
    terminalreporter.write_sep("=", "fault suite (#17)")
    for name, value in rows:
        terminalreporter.write_line(f"{name:<48} {value}")


PG_URL = os.environ.get("POLICYWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


_PG_PROBLEM = _pg_reachable()


@pytest.fixture(scope="session")
def pg_available() -> bool:
    if _PG_PROBLEM and os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL must be reachable in CI at {PG_URL}: {_PG_PROBLEM}")
    return _PG_PROBLEM is None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'policywatch.db'}"
        return
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_PG_PROBLEM}")
    # A schema per test keeps tests independent; search_path points the app at it.
    schema = f"pw_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()
