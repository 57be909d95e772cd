"""Attachment text: PDF (pypdf) and DOCX (python-docx) are read as text, so a changed attachment is a
changed policy; other types (DOC, WPS, XLS, OFD, archives) are recorded by their SHA-256."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

log = logging.getLogger("policywatch.attachments")


@dataclass(frozen=True, slots=True)
class AttachmentText:
    name: str
    kind: str  # pdf, docx, other, missing
    text: str  # extracted text, or "" when only the hash is known
    sha256: str

    def blocks(self) -> list[str]:
        """How the attachment enters the policy document: a heading, then its text (or its hash)."""
        head = f"附件《{self.name}》"
        if self.kind == "missing":
            return [f"{head}(无法获取)"]
        if not self.text:
            return [f"{head} sha256:{self.sha256[:16]}"]
        return [head, *(line for line in self.text.splitlines() if line.strip())]


def _kind(name: str, content_type: str, body: bytes) -> str:
    lowered = name.lower()
    if body.startswith(b"%PDF") or lowered.endswith(".pdf") or "pdf" in content_type:
        return "pdf"
    if lowered.endswith(".docx") or "wordprocessingml" in content_type:
        return "docx"
    return "other"


def _pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def _docx_text(body: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(body))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def read_attachment(name: str, status: int, body: bytes, content_type: str = "") -> AttachmentText:
    if status != 200 or not body:
        return AttachmentText(name, "missing", "", "")
    digest = hashlib.sha256(body).hexdigest()
    kind = _kind(name, content_type, body)
    reader = {"pdf": _pdf_text, "docx": _docx_text}.get(kind)
    if reader is None:
        return AttachmentText(name, kind, "", digest)
    try:
        return AttachmentText(name, kind, reader(body), digest)
    except Exception as exc:  # a damaged or encrypted file: keep its hash, say why in the log
        log.warning("cannot read %s attachment %s: %s: %s", kind, name, type(exc).__name__, exc)
        return AttachmentText(name, "other", "", digest)
