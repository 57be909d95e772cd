"""The demo's two revisions loaded into a database, for the web app's tests (API and browser)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from monitor.cli_run import DEMO_SCRAPY
from monitor.config import Settings, parse_sources
from monitor.demo.site import DemoServer
from monitor.runner import run_once
from monitor.store.db import Database
from monitor.web.app import create_app
from tests.conftest import PG_URL


def load_demo(db: Database, report_dir: Path | None = None) -> dict[str, str]:
    """Run the demo site's revision 1, then revision 2, into `db`; returns the demo's expected titles."""
    with DemoServer() as server:
        sources = parse_sources(server.site.sources_yaml(server.base_url))
        settings = Settings()
        for revision in (1, 2):
            server.site.revision = revision
            result = run_once(db, sources, settings, report_dir=report_dir, scrapy_overrides=DEMO_SCRAPY)
            assert result.status == "ok", result.source_stats
        return server.site.expected_titles()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, dict[str, Any]]]:
    """The demo's revisions 1 and 2 in a database of each kind (one load per module)."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('web') / 'pw.db'}", ""
    else:
        schema = f"pw_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}")
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    db = Database(url)
    db.upgrade()
    expected = load_demo(db)
    yield db, expected
    db.dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def client(demo: tuple[Database, dict[str, Any]]) -> TestClient:
    return TestClient(create_app(demo[0], Settings()))
