"""`policywatch extract`: one policy read from a file or URL into the documented JSON contract."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from monitor.config import DEFAULT_USER_AGENT
from monitor.encoding import decode_html
from monitor.extract import extract_page
from monitor.lifecycle import StatusFacts, compute_status, extract, today_in_shanghai
from monitor.normalise import normalise


def fetch(url: str, timeout: float = 30) -> tuple[int, str]:
    """One polite GET, decoded as the spider decodes (monitor.encoding)."""
    status, _, text = fetch_decoded(url, timeout)
    return status, text


def fetch_decoded(url: str, timeout: float = 30) -> tuple[int, str, str]:
    """One polite GET: (status, the encoding it was read in, text), decoded as the spider decodes."""
    request = urllib.request.Request(url, headers={"User-Agent": DEFAULT_USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s) only, checked by callers
            raw = response.read(20 * 1024 * 1024)
            status, content_type = response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raw, status, content_type = exc.read(), exc.code, exc.headers.get("Content-Type", "")
    encoding, text = decode_html(raw, content_type)
    return status, encoding, text


def _load(path_or_url: str) -> tuple[str, str]:
    """Returns (text, url)."""
    if path_or_url.startswith(("http://", "https://")):
        status, text = fetch(path_or_url)
        if status >= 400:
            raise ValueError(f"HTTP {status}")
        return text, path_or_url
    raw = Path(path_or_url).read_bytes()
    _, text = decode_html(raw)
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
