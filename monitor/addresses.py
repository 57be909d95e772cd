"""Where a policy's page lives, shared by the static report that writes it, the web app that serves
it and the alerts and feeds that link to it (under `[report] base_url`). Built from the policy's
identity — its source's name and its URL — never from a database id, so links survive a rebuilt
database."""

from __future__ import annotations

import hashlib

DIGEST_CHARS = 12


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def policy_key(source_name: str, url: str) -> str:
    """`demo-haidian/3f2a9c1b7e0d`: the source's name and a digest of the policy's URL."""
    return f"{source_name}/{url_digest(url)}"


def policy_page(source_name: str, url: str) -> str:
    """The policy's page, relative to the report's root (or the web app's): `policies/<key>.html`.
    The web app answers the same address (and the same without `.html`)."""
    return f"policies/{policy_key(source_name, url)}.html"


def run_page(run_id: int) -> str:
    return f"run-{run_id}.html"
