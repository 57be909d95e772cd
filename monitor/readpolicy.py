"""`policywatch extract`: one policy read from a file or URL into the documented JSON contract."""

from __future__ import annotations

import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from w3lib.encoding import html_to_unicode

from monitor.extract import extract_page
from monitor.lifecycle import StatusFacts, compute_status, extract, today_in_shanghai
from monitor.normalise import normalise

USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch/policywatch)"


def _load(path_or_url: str) -> tuple[str, str]:
    """Returns (text, url); HTML is decoded header → BOM → meta → detection (w3lib)."""
    if path_or_url.startswith(("http://", "https://")):
        request = urllib.request.Request(path_or_url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read(20 * 1024 * 1024)
            content_type = response.headers.get("Content-Type", "")
        _, text = html_to_unicode(content_type, raw)
        return text, path_or_url
    raw = Path(path_or_url).read_bytes()
    _, text = html_to_unicode(None, raw)
    return text, Path(path_or_url).resolve().as_uri()


def _looks_like_html(text: str) -> bool:
    head = text[:4000].lower()
    return any(tag in head for tag in ("<html", "<body", "<p", "<div", "<meta", "<!doctype"))


def read_policy(path_or_url: str, published: date | None = None, today: date | None = None) -> dict[str, Any]:
    text, url = _load(path_or_url)
    if _looks_like_html(text):
        page = extract_page(text, url)
        title, blocks, fields = page.title, list(page.blocks), dict(page.fields)
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("empty file")
        title, blocks, fields = lines[0], lines[1:], {}
    doc = normalise(title, blocks, fields)
    lc = extract(title, doc.body_text, fields, published=published)
    status = compute_status(lc, StatusFacts(), today or today_in_shanghai())
    data = lc.to_json()
    return {
        "title": data["title"],
        "doc_number": data["doc_number"],
        "issuers": data["issuers"],
        "published": data["published"],
        "effective": data["effective"],
        "expires": data["expires"],
        "repeals": [{k: r[k] for k in ("title", "doc_number", "sentence")} for r in data["repeals"]],
        "status": status.status.value,
    }
