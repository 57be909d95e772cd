"""Secrets in apprise URLs (passwords, webhook keys, tokens) never leave this module unmasked."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

_SECRET_QUERY_KEYS = re.compile(r"pass|pwd|token|key|secret|sign|auth", re.I)
# Path segments that look like keys (WeCom robot keys, DingTalk tokens, Feishu hook ids).
_KEYLIKE = re.compile(r"^[A-Za-z0-9_\-]{12,}$")


def secrets_in(url: str) -> list[str]:
    parts = urlsplit(url)
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    netloc_user = parts.username or ""
    if netloc_user and _KEYLIKE.match(netloc_user):
        found.append(netloc_user)
    if parts.hostname and _KEYLIKE.match(parts.hostname) and "." not in parts.hostname:
        found.append(parts.hostname)  # wecombot://KEY puts the key where a host would be
    found += [seg for seg in parts.path.split("/") if _KEYLIKE.match(seg)]
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY_KEYS.search(k) and v]
    return sorted({s for s in found if s}, key=len, reverse=True)


def mask_url(url: str) -> str:
    masked = url
    for secret in secrets_in(url):
        masked = masked.replace(secret, _mask(secret))
    return masked


def _mask(secret: str) -> str:
    return secret[:2] + "****" if len(secret) > 6 else "****"


def scrub(text: str, urls: list[str]) -> str:
    """Remove every secret of `urls` from a message (an exception text, a channel's error)."""
    for url in urls:
        for secret in secrets_in(url):
            text = text.replace(secret, _mask(secret))
    return text
