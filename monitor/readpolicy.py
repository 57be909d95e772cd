"""`policywatch extract`: one policy read from a file or URL (HTML, text, PDF, DOCX) into the
documented JSON contract; binary input is refused with a reason."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from w3lib.html import remove_tags, replace_entities

from monitor.attachments import read_attachment
from monitor.config import DEFAULT_USER_AGENT
from monitor.docnumber import split_title
from monitor.encoding import decode_html
from monitor.extract import extract_page
from monitor.lifecycle import extract
from monitor.netguard import check_url
from monitor.normalise import normalise
from monitor.policystatus import StatusFacts, compute_status, today_in_shanghai


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an http(s) address the fetch may reach (monitor.netguard)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        check_url(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(url: str, timeout: float, allow_private: bool) -> Any:
    """urlopen for http(s) URLs on public addresses (and every redirect hop); AddressRefused (a
    ValueError) says why not."""
    check_url(url, allow_private)
    opener = urllib.request.build_opener(_GuardedRedirects(allow_private))
    request = urllib.request.Request(url, headers={"User-Agent": DEFAULT_USER_AGENT})
    return opener.open(request, timeout=timeout)


def fetch(url: str, timeout: float = 30, allow_private: bool = False) -> tuple[int, str]:
    """One polite GET, decoded as the spider decodes (monitor.encoding)."""
    status, _, text = fetch_decoded(url, timeout, allow_private)
    return status, text


def fetch_decoded(url: str, timeout: float = 30, allow_private: bool = False) -> tuple[int, str, str]:
    """One polite GET: (status, the encoding it was read in, text), decoded as the spider decodes."""
    try:
        with _open(url, timeout, allow_private) as response:
            raw = response.read(20 * 1024 * 1024)
            status, content_type = response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raw, status, content_type = exc.read(), exc.code, exc.headers.get("Content-Type", "")
    encoding, text = decode_html(raw, content_type)
    return status, encoding, text


def _download(url: str, timeout: float = 30, allow_private: bool = False) -> tuple[bytes, str]:
    try:
        with _open(url, timeout, allow_private) as response:
            return response.read(20 * 1024 * 1024), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise ValueError(f"HTTP {exc.code}") from exc


def _document_text(name: str, raw: bytes, content_type: str) -> str | None:
    """The text of a PDF or DOCX file (as attachments are read); None for anything else."""
    is_docx = raw.startswith(b"PK\x03\x04") and b"word/" in raw[:65536]
    if not (raw.startswith(b"%PDF") or is_docx or name.lower().endswith((".pdf", ".docx"))):
        return None
    read = read_attachment(name, 200, raw, content_type)
    if not read.text.strip():
        raise ValueError(
            f"no text could be read from this {read.kind.upper() if read.kind != 'other' else 'file'} (a scan without a text layer, damaged, or encrypted)"
        )
    return read.text


def _is_binary(raw: bytes, text: str) -> bool:
    head = text[:8192]
    odd = sum(1 for ch in head if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return b"\x00" in raw[:8192] or odd > max(8, len(head) // 50)


def _load(path_or_url: str, allow_private: bool = False) -> tuple[str, str]:
    """Returns (text, url): HTML, plain text, PDF or DOCX; anything else is refused."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", path_or_url):
        raw, content_type = _download(path_or_url, allow_private=allow_private)
        url = path_or_url
    else:
        raw, content_type = Path(path_or_url).read_bytes(), ""
        url = Path(path_or_url).resolve().as_uri()
    document = _document_text(path_or_url.rsplit("/", 1)[-1], raw, content_type)
    if document is not None:
        return document, url
    _, text = decode_html(raw, content_type)
    if _is_binary(raw, text):
        raise ValueError("not a policy document: binary data (give an HTML, text, PDF or DOCX file)")
    return text, url


def _looks_like_html(text: str) -> bool:
    """A page or a fragment starts with markup; a Markdown or plain text with inline tags does not."""
    head = text[:4000].lower()
    if not head.lstrip("\ufeff \t\r\n").startswith("<"):
        return False
    return any(tag in head for tag in ("<html", "<body", "<p", "<div", "<meta", "<!doctype"))


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_FRONT_KEYS = {
    "title": "title",
    "标题": "title",
    "publish": "PubDate",  # a site's posting date: the signature date comes first
    "发布日期": "PubDate",
    "文号": "发文字号",
    "发文字号": "发文字号",
    "发布单位": "发文机关",
    "office": "发文机关",
}


def _plain_text(text: str) -> tuple[str, list[str], dict[str, str]]:
    """Title, lines and fields of a plain or Markdown text (front matter `title:`/`publish:` read, inline
    tags and entities such as &emsp; removed)."""
    fields: dict[str, str] = {}
    m = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if m:
        for line in m.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() in _FRONT_KEYS and value.strip():
                fields[_FRONT_KEYS[key.strip()]] = value.strip().strip("\"'")
        text = text.lstrip("\ufeff")[m.end() :]
    text = replace_entities(remove_tags(text)) if "<" in text or "&" in text else text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty file")
    # A text without line breaks (as search APIs serve them) is title, 文号 and body in one line.
    title = fields.pop("title", "") or split_title(lines[0])
    return title, (lines[1:] or lines) if title == split_title(lines[0]) else lines, fields


def read_policy(
    path_or_url: str, published: date | None = None, today: date | None = None, allow_private: bool = False
) -> dict[str, Any]:
    text, url = _load(path_or_url, allow_private)
    if _looks_like_html(text):
        page = extract_page(text, url)
        title, blocks, fields = page.title, list(page.blocks), dict(page.fields)
    else:
        title, blocks, fields = _plain_text(text)
    doc = normalise(title, blocks, fields)
    lc = extract(title, doc.body_text, fields, published=published, folded=True)
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
