"""Finding policies: full-text search over title, 文号 and current text that works for Chinese substrings,
and the list's filters. SQLite uses an FTS5 trigram index the web app keeps beside the tables (queries
shorter than three characters, which trigrams cannot index, fall back to LIKE); PostgreSQL uses ILIKE
(served by pg_trgm indexes when an operator creates them). 文号 match whatever brackets were typed."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.store.models import Event, Policy, Source, Version

log = logging.getLogger(__name__)

# 〔2025〕, [2025], (2025), （2025）, 【2025】 and 〔 2025 〕 are the same 文号.
_OPENERS, _CLOSERS = "[(（【［", "])）】］"
CHANGE_EVENTS = ("text_changed", "expiry_changed")
SORTS = {
    "published": (Policy.published.desc(), Policy.id.desc()),
    "title": (Policy.title, Policy.id),
    "expires": (Policy.expires_date.is_(None), Policy.expires_date, Policy.id),
    "status": (Policy.status, Policy.id),
}
PAGE_SIZE = 50


def normalise_doc_number(value: str) -> str:
    out = re.sub(r"\s+", "", value)
    for ch in _OPENERS:
        out = out.replace(ch, "〔")
    for ch in _CLOSERS:
        out = out.replace(ch, "〕")
    return out


def _normalised_doc_column() -> ColumnElement[str]:
    column: ColumnElement[str] = Policy.doc_number  # type: ignore[assignment]
    for ch in (" ", "\u3000"):
        column = func.replace(column, ch, "")
    for ch in _OPENERS:
        column = func.replace(column, ch, "〔")
    for ch in _CLOSERS:
        column = func.replace(column, ch, "〕")
    return column


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True, slots=True)
class PolicyQuery:
    q: str = ""
    status: str = ""
    region: str = ""
    issuer: str = ""
    source: str = ""
    published_from: date | None = None
    published_to: date | None = None
    expiring_days: int | None = None
    changed_days: int | None = None
    sort: str = "published"
    page: int = 1

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


def _latest_versions() -> Select[Any]:
    return select(func.max(Version.id)).group_by(Version.policy_id)


def _text_condition(session: Session, q: str) -> ColumnElement[bool]:
    """Title, 文号 (brackets and spaces normalised) or the current text contains q."""
    title = Policy.title.ilike(_like(q), escape="\\")
    number = _normalised_doc_column().like(_like(normalise_doc_number(q)), escape="\\")
    body: ColumnElement[bool]
    fts_ids = fts_search(session, q)
    if fts_ids is not None:
        body = Policy.id.in_(fts_ids)
    else:
        # One pass over the latest versions (not a subquery per policy).
        body = Policy.id.in_(
            select(Version.policy_id).where(
                Version.id.in_(_latest_versions()), Version.text.ilike(_like(q), escape="\\")
            )
        )
    return or_(title, number, body)


def conditions(session: Session, query: PolicyQuery, today: date, now: datetime) -> list[ColumnElement[bool]]:
    """Every filter but the status one (the per-status counts are taken over these)."""
    out: list[ColumnElement[bool]] = []
    if query.q.strip():
        out.append(_text_condition(session, query.q.strip()))
    if query.region:
        out.append(Source.region == query.region)
    if query.source:
        out.append(Source.name == query.source)
    if query.issuer:
        out.append(Policy.issuer.ilike(_like(query.issuer), escape="\\"))
    if query.published_from:
        out.append(Policy.published >= query.published_from)
    if query.published_to:
        out.append(Policy.published <= query.published_to)
    if query.expiring_days is not None:
        out.append(and_(Policy.expires_date >= today, Policy.expires_date <= today + timedelta(query.expiring_days)))
    if query.changed_days is not None:
        since = now - timedelta(days=query.changed_days)
        out.append(
            exists().where(Event.policy_id == Policy.id, Event.type.in_(CHANGE_EVENTS), Event.detected_at >= since)
        )
    return out


@dataclass(frozen=True, slots=True)
class SearchResult:
    policies: list[Policy]
    total: int
    status_counts: dict[str, int]
    pages: int


def search_policies(session: Session, query: PolicyQuery, today: date, now: datetime) -> SearchResult:
    where = conditions(session, query, today, now)
    base = select(Policy).join(Source, Policy.source_id == Source.id).where(*where)
    counts_stmt = (
        select(Policy.status, func.count())
        .join(Source, Policy.source_id == Source.id)
        .where(*where)
        .group_by(Policy.status)
    )
    counts = {status: n for status, n in session.execute(counts_stmt)}
    if query.status:
        base = base.where(Policy.status == query.status)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = max(query.page, 1)
    rows = session.scalars(
        base.order_by(*SORTS.get(query.sort, SORTS["published"])).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return SearchResult(list(rows), total, dict(sorted(counts.items())), max(1, -(-total // PAGE_SIZE)))


# --- SQLite FTS5 (trigram) ------------------------------------------------------------------------

FTS_TABLE = "web_policy_fts"


def fts_search(session: Session, q: str) -> list[int] | None:
    """Policy ids whose title, 文号 or current text contains q, from the trigram index (a query under
    three characters scans the index's text with LIKE); None when the index cannot answer
    (PostgreSQL, no FTS5, or the database is busy)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    try:
        _sync_fts(session)
        if len(q) < 3:  # under a trigram: one scan of the index's own copy of the text
            found = text(f"SELECT rowid FROM {FTS_TABLE} WHERE body LIKE :q ESCAPE '\\' OR title LIKE :q ESCAPE '\\'")
            return list(session.scalars(found, {"q": _like(q)}))
        phrase = '"' + q.replace('"', '""') + '"'
        return list(session.scalars(text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"), {"q": phrase}))
    except SQLAlchemyError as exc:
        log.warning("full-text index unavailable, searching without it: %s", str(exc).splitlines()[0])
        session.rollback()
        return None


def warm_index(session: Session) -> None:
    """Build or bring up to date the SQLite search index now (`serve` does it before listening, so the
    first search of a large library is not the one that waits)."""
    if session.get_bind().dialect.name == "sqlite":
        _sync_fts(session)


def _sync_fts(session: Session) -> None:
    """Bring the index up to date with each policy's latest version (only the policies that changed)."""
    session.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "title, doc_number, body, version_id UNINDEXED, tokenize='trigram')"
        )
    )
    indexed: dict[int, int] = dict(session.execute(text(f"SELECT rowid, version_id FROM {FTS_TABLE}")).all())
    latest = session.execute(select(Version.policy_id, func.max(Version.id)).group_by(Version.policy_id))
    stale = [pid for pid, vid in latest if indexed.get(pid) != vid]
    for pid in stale:
        row = session.execute(
            select(Policy.title, Policy.doc_number, Version.text, Version.id)
            .join(Version, Version.policy_id == Policy.id)
            .where(Policy.id == pid)
            .order_by(Version.id.desc())
            .limit(1)
        ).one()
        session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": pid})
        session.execute(
            text(f"INSERT INTO {FTS_TABLE}(rowid, title, doc_number, body, version_id) VALUES (:id, :t, :d, :b, :v)"),
            {"id": pid, "t": row[0], "d": row[1], "b": row[2], "v": row[3]},
        )
    if stale:
        session.commit()
