"""What a fetched page means — its normalised document and lifecycle facts — derived from the raw
inputs kept with every stored version, so that a version can be re-read by newer code.

An upgrade of the extractor or normaliser must never look like a change of the page: a version
stores which derivation produced it (`DERIVATION_VERSION`) and the inputs needed to produce it again
(the raw page body is on the version; the list/API row fields and the attachments' text are its
`inputs`). Before an old version is compared with a new page it is re-derived by the running code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from w3lib.encoding import resolve_encoding

from monitor.attachments import read_attachment
from monitor.config import SourceConfig
from monitor.contracts import AttachmentFile

# Re-exported: writers read (and tests of an upgrade patch) `derive.DERIVATION_VERSION`.
from monitor.derivestamp import DERIVATION_VERSION as DERIVATION_VERSION
from monitor.extract import ExtractError, extract_page
from monitor.lifecycle import Lifecycle, extract
from monitor.normalise import Document, normalise


@dataclass(frozen=True, slots=True)
class PageInputs:
    """What the page body alone does not hold: fields from the list/API row that led to the page,
    and the blocks its attachments contributed (heading plus text, as read when fetched)."""

    list_fields: Mapping[str, str] = field(default_factory=dict)
    attachment_blocks: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"list_fields": dict(self.list_fields), "attachment_blocks": list(self.attachment_blocks)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> PageInputs:
        return PageInputs(dict(data.get("list_fields", {})), tuple(data.get("attachment_blocks", ())))


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """What a fetched page means, before anything is stored."""

    document: Document
    lifecycle: Lifecycle
    fields: dict[str, str]
    inputs: PageInputs = PageInputs()


def derive(html: str, url: str, source: SourceConfig, inputs: PageInputs, root: Any = None) -> ParsedPage:
    """The document and lifecycle of a page, from its HTML (and its tree `root`, when the spider parsed
    it already) and the inputs kept beside it. Fields a list or API row gave (an official 有效性) fill
    in what the page itself does not print."""
    selectors = source.selectors
    page = extract_page(html, url, title_selector=selectors.title, body_selector=selectors.body, root=root)
    if not page.blocks:
        raise ExtractError("no body text found (empty or chrome-only page)")
    fields = {**inputs.list_fields, **page.fields}
    if page.attachments:
        fields["附件"] = "；".join(a.name for a in page.attachments)
    doc = normalise(page.title, [*page.blocks, *inputs.attachment_blocks], fields)
    lc = extract(page.title, doc.body_text, fields, folded=True)
    return ParsedPage(doc, lc, fields, inputs)


def parse_page(
    html: str,
    url: str,
    source: SourceConfig,
    attachments: Sequence[AttachmentFile] = (),
    list_fields: Mapping[str, str] | None = None,
    root: Any = None,
) -> ParsedPage:
    """What a freshly fetched page means: its document (attachments' text included) and lifecycle."""
    blocks: list[str] = []
    for file in attachments:
        blocks += read_attachment(file.name, file.status, file.body, file.content_type).blocks()
    return derive(html, url, source, PageInputs(dict(list_fields or {}), tuple(blocks)), root)


def decode_stored(raw: bytes, encoding: str) -> str:
    """The page text as the spider decoded it: the stored body in the encoding it chose."""
    codec = resolve_encoding(encoding or "utf-8") or "utf-8"
    return raw.decode(codec, errors="replace").removeprefix("\ufeff")


def legacy_inputs(document: Mapping[str, Any], fields: Mapping[str, str], list_keys: Sequence[str]) -> PageInputs:
    """Best reconstruction of the inputs of a version stored before inputs were kept: list fields
    are the stored fields under the keys the list row uses, attachment blocks are the stored
    attachment section (text already normalised by the code of that time)."""
    names = [n for n in fields.get("附件", "").split("；") if n]
    clauses = [str(c[3]) for c in document.get("clauses", [])]
    kinds = [str(c[1]) for c in document.get("clauses", [])]
    start = len(clauses)
    if names:
        heads = [i for i, (k, t) in enumerate(zip(kinds, clauses, strict=True)) if k == "attachment"]
        first = [i for i in heads if clauses[i].startswith(f"附件《{names[0]}》")]
        start = first[-1] if first else (heads[0] if heads else start)
    return PageInputs({k: fields[k] for k in list_keys if k in fields}, tuple(clauses[start:]))


# Lifecycle facts a reader sees, with their Chinese labels (facts_corrected entries name them).
FACT_FIELDS = {
    "title": "标题",
    "doc_number": "文号",
    "issuers": "发文机关",
    "written": "成文日期",
    "published": "发布日期",
    "effective": "施行日期",
    "expires": "有效期",
    "repeals": "废止/修订",
    "official_status": "有效性标注",
    "official_repeal_date": "废止日期",
    "trial": "试行",
}


def fact_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Which lifecycle facts differ between two stored lifecycles (their JSON form)."""
    out = []
    for key, label in FACT_FIELDS.items():
        before, after = _comparable(key, old.get(key)), _comparable(key, new.get(key))
        if before != after:
            out.append({"field": key, "label": label, "old": before, "new": after})
    return out


def _comparable(key: str, value: Any) -> Any:
    if key == "repeals":
        return [f"《{r.get('title', '')}》{r.get('doc_number') or ''}" for r in value or []]
    if key in {"effective", "expires"}:
        value = value or {}
        return value.get("date") or value.get("rule") or None
    return value or None
