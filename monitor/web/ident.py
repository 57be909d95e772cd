"""Stable policy addresses: built from a policy's identity (its source's name and its URL), never from a
database id, so links in alerts, feeds and bookmarks survive a rebuilt database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import addresses
from monitor.addresses import DIGEST_CHARS, url_digest
from monitor.store.models import Policy, Source


def policy_key(policy: Policy) -> str:
    """`demo-haidian/3f2a9c1b7e0d`: the source's name and a digest of the policy's URL."""
    return addresses.policy_key(policy.source.name, policy.url)


def policy_path(policy: Policy) -> str:
    return f"/policies/{policy_key(policy)}"


def find_by_key(session: Session, source: str, digest: str) -> Policy | None:
    """The policy of a key, reading only the URLs of that one source."""
    digest = digest.removesuffix(".html")  # the static report's name of the same page
    if len(digest) != DIGEST_CHARS:
        return None
    rows = session.execute(
        select(Policy.id, Policy.url).join(Source, Policy.source_id == Source.id).where(Source.name == source)
    )
    for policy_id, url in rows:
        if url_digest(url) == digest:
            return session.get(Policy, policy_id)
    return None
