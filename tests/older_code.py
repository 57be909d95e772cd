"""Test-only: policywatch's derivation "before an upgrade" — an extractor that did not understand
validity periods ("有效期两年" gave no expiry) and a normaliser that left the 发文机关 info field out
of the text, stamped derivation 0. Installed in-process with monkeypatch.setattr, or into a crawl
child through a sitecustomize module that calls `install(setattr)`."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

import monitor.derive as derivation
from monitor.lifecycle import DateRule, Lifecycle
from monitor.normalise import Document

_VALIDITY_PERIOD = re.compile(r"有效期[一二两三四五六七八九十\d]+(?:年|个月)")
SITECUSTOMIZE = "import tests.older_code\n\ntests.older_code.install(setattr)\n"


def install(set_attr: Callable[[Any, str, Any], None]) -> None:
    extract, normalise = derivation.extract, derivation.normalise

    def old_extract(title: str, text: str, meta: Mapping[str, str] | None = None, **kw: Any) -> Lifecycle:
        lc = extract(title, text, meta, **kw)
        if _VALIDITY_PERIOD.search(lc.expires.rule):
            lc = dataclasses.replace(lc, expires=DateRule(None, ""))
        return lc

    def old_normalise(title: str, blocks: Any, meta: Mapping[str, str] | None = None) -> Document:
        return normalise(title, blocks, {k: v for k, v in (meta or {}).items() if k != "发文机关"})

    set_attr(derivation, "extract", old_extract)
    set_attr(derivation, "normalise", old_normalise)
    set_attr(derivation, "DERIVATION_VERSION", 0)
