"""The real-document regression corpus (tests/data/real, provenance in its README): `policywatch extract`
must get at least 95% of facts exact."""

from __future__ import annotations

import json

from click.testing import CliRunner

from monitor.cli import cli
from tests.realcorpus import CORPUS, FIELDS, score

THRESHOLD = 0.95


def test_real_corpus_exact_facts() -> None:
    result = score()
    print()
    print(result.table())
    print("\n".join(result.mismatches))
    assert result.total >= 100
    assert result.exact >= THRESHOLD, f"{result.exact:.1%} exact facts < {THRESHOLD:.0%}\n{result.table()}"


def test_cli_extract_reads_a_corpus_page_as_json() -> None:
    path = CORPUS / "docs" / "001.html"
    out = CliRunner().invoke(cli, ["extract", str(path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(FIELDS) <= set(data)
    assert data["title"]
