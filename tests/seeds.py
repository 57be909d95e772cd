"""Helpers over the bundled seed corpus (seeds/corpus), shared by tests."""

from __future__ import annotations

from monitor.demo.site import seed_policies
from monitor.normalise import Document, normalise


def seed(pid: int) -> dict[str, str]:
    return seed_policies()[pid]


def seed_doc(pid: int, body: str | None = None) -> Document:
    row = seed(pid)
    return normalise(row["title"], [row["body"] if body is None else body])
