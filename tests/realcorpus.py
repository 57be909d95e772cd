"""Scores `policywatch extract` (monitor.readpolicy.read_policy) on the real-document corpus in
tests/data/real: per field (文号, published, effective, expires, repeals) and overall exact facts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.readpolicy import read_policy

CORPUS = Path(__file__).parent / "data" / "real"
FIELDS = ("doc_number", "published", "effective", "expires", "repeals")


@dataclass
class Score:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def exact(self) -> float:
        return sum(self.right.values()) / (self.total * len(FIELDS))

    def table(self) -> str:
        lines = [f"{'field':<12}{'right':>7}{'of':>5}{'accuracy':>10}"]
        for name in FIELDS:
            lines.append(f"{name:<12}{self.right[name]:>7}{self.total:>5}{self.right[name] / self.total:>10.1%}")
        lines.append(
            f"{'exact facts':<12}{sum(self.right.values()):>7}{self.total * len(FIELDS):>5}{self.exact:>10.1%}"
        )
        return "\n".join(lines)


def _repeal_keys(repeals: list[dict[str, Any]]) -> set[str]:
    return {r["doc_number"] or (r["title"] or "").strip("《》") for r in repeals}


def field_ok(name: str, want: Any, got: dict[str, Any]) -> bool:
    if name in ("doc_number", "published"):
        return bool(got[name] == want)
    if name in ("effective", "expires"):
        day = got[name]["date"]
        return day in want if want else day is None
    wanted = set(want)
    found = {r["doc_number"] for r in got["repeals"]} | {(r["title"] or "").strip("《》") for r in got["repeals"]}
    return wanted <= found and len(_repeal_keys(got["repeals"])) == len(wanted)


def score(corpus: Path = CORPUS) -> Score:
    result = Score()
    for line in (corpus / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        want = json.loads(line)
        got = read_policy(str(corpus / want["file"]), want["published_arg"])
        result.total += 1
        for name in FIELDS:
            if field_ok(name, want[name], got):
                result.right[name] += 1
            else:
                shown = got[name]
                result.mismatches.append(f"{want['file']} {name}: expected {want[name]!r}, got {shown!r}")
    return result
