"""Decoding government pages: HTTP header → BOM → <meta charset> → detection (w3lib), GB18030 for
GBK/GB2312 labels (a superset), and a second opinion when the declared charset is wrong — a GBK page
served as UTF-8 decodes to replacement characters, which is never what the page says."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, resolve_encoding

# More than this share of U+FFFD means the decoding was wrong, not that the page is damaged.
MAX_REPLACEMENT_SHARE = 0.001
_CANDIDATES = ("utf-8", "gb18030", "big5")


def _bad(text: str) -> float:
    return text.count("\ufffd") / max(len(text), 1)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Returns (encoding used, text)."""
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    if resolve_encoding(encoding) != "utf-8" and not body.isascii():
        # Non-ASCII bytes that form valid UTF-8 are UTF-8 whatever the label says: GBK text almost
        # never does, while UTF-8 decoded as GB18030 "succeeds" as mojibake without any error.
        try:
            return "utf-8", body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if _bad(text) <= MAX_REPLACEMENT_SHARE:
        return encoding, text
    tried = {resolve_encoding(encoding) or encoding}
    options = [html_body_declared_encoding(body), http_content_type_encoding(content_type), *_CANDIDATES]
    best = (encoding, text)
    for candidate in options:
        name = resolve_encoding(candidate) if candidate else None
        if not name or name in tried:
            continue
        tried.add(name)
        decoded = body.decode(name, errors="replace")
        if _bad(decoded) < _bad(best[1]):
            best = (name, decoded)
    return best


def _detect(body: bytes) -> str | None:
    """Used only when neither header, BOM nor meta names a charset."""
    for name in ("utf-8", "gb18030"):
        try:
            body.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return None
