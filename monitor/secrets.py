"""Secrets in apprise URLs (passwords, webhook keys, tokens) never leave this module unmasked.

Three nets, because a secret can reach a message in several shapes: the secrets parsed out of each
configured URL (in their original case: a robot key is case-sensitive and is not a lower-cased host
name), the values of the environment variables the URLs reference (raw and percent-encoded: an SMTP
password with `#@:/?` is sent percent-encoded), and patterns (`?key=…`, `//user:pass@`) for lines
other libraries log, such as urllib3's request lines at -vv. `SecretFilter` applies all three to
every log record on the root handlers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

_SECRET_QUERY_KEYS = re.compile(r"pass|pwd|token|key|secret|sign|auth", re.I)
# Path segments that look like keys (WeCom robot keys, DingTalk tokens, Feishu hook ids).
_KEYLIKE = re.compile(r"^[A-Za-z0-9_\-]{12,}$")
_QUERY_SECRET = re.compile(r"([?&;][A-Za-z_]*(?:pass|pwd|token|key|secret|sign|auth)[A-Za-z_]*=)([^&\s\"'#<>]+)", re.I)
_USERINFO_PASSWORD = re.compile(r"(://[^/\s:@?#]*:)([^\s/?#@]+)(@)")
_KNOWN: set[str] = set()  # secret values read from the environment for apprise URLs
_MIN_SECRET = 4  # shorter values would mask ordinary words


def register(values: Iterable[str]) -> None:
    """Remember secret values (e.g. ${SMTP_PASS}) so that any text containing them is masked."""
    for value in values:
        if len(value) >= _MIN_SECRET:
            _KNOWN.update({value, quote(value, safe=""), quote(value)})


def _host(netloc: str) -> str:
    """The host part of a netloc in its original case (urlsplit().hostname lower-cases it)."""
    host = netloc.rpartition("@")[2]
    return host if host.startswith("[") else host.split(":", 1)[0]


def secrets_in(url: str) -> list[str]:
    parts = urlsplit(url)
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    netloc_user = parts.username or ""
    if netloc_user and _KEYLIKE.match(netloc_user):
        found.append(netloc_user)
    host = _host(parts.netloc)
    if host and _KEYLIKE.match(host) and "." not in host:
        found.append(host)  # wecombot://KEY puts the key where a host would be
    found += [seg for seg in parts.path.split("/") if _KEYLIKE.match(seg)]
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_QUERY_KEYS.search(k) and v]
    return sorted({s for s in found if s}, key=len, reverse=True)


def _mask(secret: str) -> str:
    return secret[:2] + "****" if len(secret) > 6 else "****"


def mask_url(url: str) -> str:
    return scrub(url, [url])


def scrub(text: str, urls: Iterable[str] = ()) -> str:
    """Remove every secret from a message (an exception text, a channel's error, a log line): those
    of `urls`, the registered environment values, and `?key=`/`user:pass@` shapes."""
    secrets = {s for url in urls for s in secrets_in(url)} | _KNOWN
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _mask(secret))
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + _mask(m.group(2)), text)
    return _USERINFO_PASSWORD.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class SecretFilter(logging.Filter):
    """Masks secrets in every record a handler emits, whichever library logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Put a SecretFilter on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())
