"""`policywatch --help` and `policywatch status` stay fast because the CLI imports heavy libraries only
inside the commands that use them (issue #16). Checked by what a fresh interpreter has imported,
never by timing (a loaded CI machine would make a timing test flaky)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from monitor.store.db import Database

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
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


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
