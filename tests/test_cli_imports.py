"""`policywatch --help` and `policywatch status` stay fast because the CLI imports heavy libraries only
inside the commands that use them (issue #16). Checked by what a fresh interpreter has imported,
never by timing (a loaded CI machine would make a timing test flaky)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import DateTime

from monitor.store import tables
from monitor.store.db import Database
from monitor.store.models import Base

# Crawling, delivery, extraction, numerals, migrations and the web app: none is needed to list
# the commands or to read the database's health.
HEAVY = ("scrapy", "twisted", "apprise", "trafilatura", "cn2an", "alembic", "fastapi", "uvicorn", "jinja2")

PROBE = """
import json, sys
from monitor.cli import cli
args = sys.argv[1:]
if args:
    try:
        cli(args, prog_name="policywatch")
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_imported_by(*args: str) -> set[str]:
    """Every module (dotted name) a fresh interpreter has imported after running the CLI with args."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def imported_by(*args: str) -> set[str]:
    """The top-level packages of modules_imported_by."""
    return {name.split(".")[0] for name in modules_imported_by(*args)}


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = imported_by()
    assert "click" in loaded  # the probe really ran
    # Listing the commands needs no database layer and no configuration models either.
    unneeded = (*HEAVY, "sqlalchemy", "pydantic", "yaml", "lxml")
    assert loaded.isdisjoint(unneeded), sorted(loaded.intersection(unneeded))


def test_status_reads_the_database_without_crawler_delivery_or_migrations(tmp_path: Path) -> None:
    db_file = tmp_path / "pw.db"
    db = Database(f"sqlite:///{db_file}")
    db.upgrade()  # at the newest revision: status must recognise it without Alembic
    db.dispose()
    loaded = imported_by("status", "--db", str(db_file))
    assert "sqlalchemy" in loaded  # it did open the database
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


def test_status_reads_through_sqlalchemy_core_without_the_orm_models_or_the_configuration(tmp_path: Path) -> None:
    """The ORM and the models (~0.2 s), the configuration models (pydantic, ~0.1 s) and the extractors
    (~0.05 s) are most of what made `status` take a second; --json, for monitoring, draws no table."""
    db_file = tmp_path / "pw.db"
    db = Database(f"sqlite:///{db_file}")
    db.upgrade()
    db.dispose()
    loaded = modules_imported_by("status", "--db", str(db_file), "--json")
    assert "monitor.store.tables" in loaded  # it did read the database, through the tables' clauses
    unneeded = {"sqlalchemy.orm", "monitor.store.models", "monitor.config", "pydantic", "monitor.derive", "rich.table"}
    assert loaded.isdisjoint(unneeded), sorted(loaded & unneeded)


def test_the_core_tables_name_columns_of_the_schema_with_their_types() -> None:
    """monitor.store.tables repeats column names and types of monitor.store.models: a column renamed
    or retyped there and not here would fail here, not in an operator's `status`."""
    for clause in (tables.sources, tables.policies, tables.versions, tables.runs, tables.alerts):
        model = Base.metadata.tables[clause.name]
        for column in clause.columns:
            assert column.name in model.columns, f"{clause.name}.{column.name} is not in the schema"
            schema_type = model.columns[column.name].type
            assert isinstance(schema_type, type(column.type)), f"{clause.name}.{column.name}: {schema_type!r}"
            if isinstance(column.type, DateTime):
                assert isinstance(schema_type, DateTime) and schema_type.timezone == column.type.timezone


def test_a_run_leaves_scrapy_to_its_crawl_process_and_loads_the_report_while_that_starts() -> None:
    """The runner's process never crawls: Scrapy, Twisted and the spider are imported by the crawl
    process alone (a second of every run's start-up on a two-core machine), and what only the end of
    the run needs is imported while the crawl process starts (monitor.runner.AFTER_THE_CRAWL)."""
    probe = "import json, sys; import monitor.runner; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "crawler.process" in loaded  # the probe really imported the runner
    crawl_only = {"scrapy", "twisted", "crawler.spiders.policy", "jinja2", "apprise", "notifier.outbox"}
    assert loaded.isdisjoint(crawl_only), sorted(loaded & crawl_only)
    from monitor.runner import AFTER_THE_CRAWL

    assert {"monitor.report", "notifier.outbox"} <= set(AFTER_THE_CRAWL)
