"""Where policywatch may fetch from: http(s) addresses on the public internet.

A sources file, a list page or a redirect is input from outside; followed blindly it would make the
monitor read `file:///etc/passwd`, the cloud metadata service at 169.254.169.254, or an admin page on
the machine itself, and store what it read. So every fetch target is checked:

* the scheme must be http or https (`refusal_of_url`);
* the host's addresses must be public: loopback, private (RFC 1918, fc00::/7), link-local, CGNAT,
  unspecified, multicast and reserved ranges are refused unless the source sets `allow_private: true`
  (a mirror on the intranet, the test fixtures on 127.0.0.1).

Literal addresses (`http://10.0.0.5/`, `http://2130706433/`, `http://[::1]/`) and `localhost` are
refused when the configuration is read (`literal_refusal`); host names are resolved at fetch time
(`resolved_refusal`), by the crawl's downloader middleware (crawler/addresses.py) for every request,
redirects included, and by the one-off fetches of `extract URL` and `sources check/suggest`.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

HINT = "set allow_private: true on the source to allow it"
CLI_HINT = "pass --allow-private to allow it"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def refusal_of_url(url: str) -> str:
    """Why `url` cannot be fetched whatever it resolves to (scheme, no host), or ""."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL (scheme '{parts.scheme or 'none'}' refused)"
    if not parts.hostname:
        return "no host in the URL"
    return ""


def address_kind(address: str) -> str:
    """ "" for a public address, else what it is ("loopback", "private", "link-local", …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared CGNAT", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    )
    return next((kind for kind, hit in checks if hit), "")


def host_refusal(host: str, port: int | None = None, resolve: bool = True) -> str:
    """Why `host` is not on the public internet, or "". Without `resolve` only literal addresses and
    `localhost` are judged (no network); a name that does not resolve is left to the fetch itself,
    which reports it as the DNS failure it is."""
    if host == "localhost" or host.endswith(".localhost"):
        addresses = ["127.0.0.1"]
    else:
        flags = 0 if resolve else socket.AI_NUMERICHOST
        try:
            infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM, flags=flags)
        except (OSError, UnicodeError):
            return ""
        addresses = sorted({str(info[4][0]) for info in infos})
    for address in addresses:
        kind = address_kind(address)
        if kind:
            shown = host if host == address else f"{host} ({address})"
            return f"{shown} is not a public address ({kind}), refused — {HINT}"
    return ""


def literal_refusal(url: str, allow_private: bool = False) -> str:
    """The configuration-time check, without any network: the scheme, and a host that is a literal
    address (in any form the resolver accepts: `127.1`, `2130706433`, `[::1]`) or `localhost`."""
    refusal = refusal_of_url(url)
    if refusal or allow_private:
        return refusal
    return host_refusal(urlsplit(url).hostname or "", resolve=False)


def resolved_refusal(url: str, allow_private: bool = False) -> str:
    """The fetch-time check: the scheme, and every address the host resolves to."""
    refusal = refusal_of_url(url)
    if refusal or allow_private:
        return refusal
    parts = urlsplit(url)
    return host_refusal(parts.hostname or "", parts.port, resolve=True)


class AddressRefused(ValueError):
    """A URL policywatch will not fetch (scheme or address), with the reason in words."""


def check_url(url: str, allow_private: bool = False) -> None:
    """Raise AddressRefused unless `url` may be fetched now (resolving its host)."""
    refusal = resolved_refusal(url, allow_private)
    if refusal:
        raise AddressRefused(f"{url}: {refusal}")


def cli_wording(message: str) -> str:
    """A refusal as a one-off command (`extract URL`, `sources suggest URL`) should word it."""
    return message.replace(HINT, CLI_HINT)
