"""JSON policy-library APIs (`kind: json_api`): the rows of one API page as detail links with the
fields each row gives (文号 parts, an official validity flag), and the next page's URL."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from monitor.contracts import ListedLink


def api_rows(body: bytes | str, api: Mapping[str, Any]) -> list[Any]:
    """The rows of one API answer; raises ValueError/KeyError/TypeError when it is not the JSON expected."""
    return _dig(json.loads(body), str(api.get("rows", "rows"))) or []


def api_links(rows: list[Any], api: Mapping[str, Any], base: str) -> list[ListedLink]:
    return [link for link in (_api_link(row, api, base) for row in rows) if link is not None]


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _api_link(row: Mapping[str, Any], api: Mapping[str, Any], base: str) -> ListedLink | None:
    """One API row → the detail link with the fields the row gives (e.g. 发文字号, 有效性)."""
    href = row.get(str(api.get("url", "url")))
    if not href:
        return None
    fields: dict[str, str] = {}
    for label, template in (api.get("fields") or {}).items():
        try:
            value = str(template).format(**row)
        except (KeyError, IndexError, ValueError):
            continue
        if value.strip() and "None" not in value:
            fields[str(label)] = value
    flag_field = api.get("status_field")
    if flag_field and flag_field in row:
        mapping = {str(k): str(v) for k, v in (api.get("status_map") or {}).items()}
        fields["有效性"] = mapping.get(str(row[flag_field]), mapping.get("*", str(row[flag_field])))
    return ListedLink(
        urljoin(base, str(href)),
        str(row.get(str(api.get("title", "title")), "")),
        str(row.get(str(api.get("date", "date")), ""))[:10],
        fields,
    )


def bump_query(url: str, param: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[param] = str(int(query.get(param, "1")) + 1)
    return urlunsplit(parts._replace(query=urlencode(query)))
