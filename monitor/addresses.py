"""Where the published report keeps a page, shared by the report that writes it and the alerts that
link to it (under `[report] base_url`)."""

from __future__ import annotations


def policy_page(policy_id: int) -> str:
    """The report file of one policy."""
    return f"policy-{policy_id}.html"
