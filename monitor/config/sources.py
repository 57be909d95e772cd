"""One watched site, as written in the sources file (YAML): a pydantic model that refuses unknown
keys and checks every value's type when the file is read, so `config check` finds what a nightly run
would otherwise trip over."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from monitor.config.types import Crontab, Delay, Flag, HttpUrls, Name, Positive, Regexes, Text
from monitor.netguard import literal_refusal


def _none_is_empty(value: Any) -> Any:
    return "" if value is None else value


class Selectors(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text | None = None
    body: Text | None = None
    list_links: Text | None = None  # CSS selector for the <a> elements of list rows


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    # Fetch from loopback/private/link-local addresses (an intranet mirror, test fixtures); see
    # monitor/netguard.py. Declared before start_urls, which are judged by it.
    allow_private: Flag = False
    start_urls: HttpUrls
    region: Annotated[Text, BeforeValidator(_none_is_empty)] = ""
    allow: Regexes = ()  # regexes a detail-page URL must match
    deny: Regexes = ()
    selectors: Annotated[Selectors, BeforeValidator(lambda v: Selectors() if v is None else v)] = Selectors()
    schedule: Crontab = "0 2 * * *"  # crontab, Asia/Shanghai
    download_delay: Delay | None = None
    concurrency: Positive | None = None
    max_list_pages: Positive = 50
    # Re-check policy (crawler/recheck.py): policies in force or of unknown status are re-checked
    # (conditionally) every run; repealed/expired/withdrawn ones every `recheck_inactive_days`;
    # every known page gets an unconditional GET at least every `full_refetch_days`.
    recheck_inactive_days: Positive = 7
    full_refetch_days: Positive = 7
    # How its lists are read: html (list pages), json_api (a policy library's JSON search API), or any
    # kind registered in crawler/kinds.py, which also checks the kind's own options (`api`).
    kind: Name = "html"
    api: dict[str, Any] | None = None  # json_api: see seeds/sources.yaml

    @field_validator("start_urls")
    @classmethod
    def _public_addresses(cls, urls: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        """Literal private addresses are refused now; names are resolved and judged at fetch time."""
        for url in urls:
            refusal = literal_refusal(url, bool(info.data.get("allow_private", False)))
            if refusal:
                raise ValueError(f"start_url '{url}': {refusal}")
        return urls

    def allows(self, url: str) -> bool:
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)
