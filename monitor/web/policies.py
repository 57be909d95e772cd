"""The policies page: search, filters, counts per status, sorting, paging."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import Source
from monitor.vocab import Status
from monitor.web.app import page, session, state
from monitor.web.ident import policy_path
from monitor.web.search import SORTS, PolicyQuery, search_policies

router = APIRouter()


class BadQuery(ValueError):
    """A filter value that cannot be read; shown on the page in words."""


def _date(name: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadQuery(f"{name}: 「{value}」不是日期(应为 YYYY-MM-DD)") from None


def _days(name: str, value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > 36500:
        raise BadQuery(f"{name}: 「{value}」不是天数(应为 0–36500 的整数)")
    return int(value)


def read_query(
    q: str = "",
    status: str = "",
    region: str = "",
    issuer: str = "",
    source: str = "",
    published_from: str = "",
    published_to: str = "",
    expiring_days: str = "",
    changed_days: str = "",
    sort: str = "published",
    page: str = "1",
) -> PolicyQuery:
    """The list's query string, leniently: empty fields mean "no filter"; bad ones raise BadQuery."""
    return PolicyQuery(
        q=q.strip()[:200],
        status=status,
        region=region,
        issuer=issuer.strip(),
        source=source,
        published_from=_date("发布日期起", published_from),
        published_to=_date("发布日期止", published_to),
        expiring_days=_days("到期天数", expiring_days),
        changed_days=_days("变化天数", changed_days),
        sort=sort if sort in SORTS else "published",
        page=_days("页码", page) or 1,
    )


def _choices(s: Session) -> dict[str, list[str]]:
    return {
        "regions": sorted(r for r in s.scalars(select(Source.region).distinct()) if r),
        "sources": sorted(s.scalars(select(Source.name))),
        "statuses": [st.value for st in Status],
    }


@router.get("/", response_class=HTMLResponse, summary="政策列表(检索、筛选)")
@router.get("/policies", response_class=HTMLResponse, include_in_schema=False)
def policies_page(request: Request, s: Annotated[Session, Depends(session)]) -> HTMLResponse:
    web = state(request)
    try:
        query = read_query(**{k: v for k, v in request.query_params.items() if k in PolicyQuery.__slots__})
    except BadQuery as exc:
        context: dict[str, Any] = {"error": str(exc), "query": PolicyQuery(), "result": None, **_choices(s)}
        return page(request, "policies.html", context, 400)
    result = search_policies(s, query, web.today(), web.clock())
    found: dict[str, Any] = {
        "query": query,
        "result": result,
        "error": "",
        "policy_path": policy_path,
        "today": web.today(),
    }
    return page(request, "policies.html", {**found, **_choices(s)})
