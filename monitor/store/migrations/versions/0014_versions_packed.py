"""versions stored compactly: the text zlib-compressed on SQLite (PostgreSQL's TOAST compresses it
there, and keeps it searchable), the document without the clause texts its text already holds

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 10:20:00
"""

import json
import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op

from monitor.store.packing import pack_document, pack_text, unpack_document, unpack_text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 500


def _load(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _dump(document: Any) -> bytes:
    return zlib.compress(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def _rewrite(pack: bool) -> None:
    """Every version, a batch at a time: packed (pack=True) or back to plain text and whole documents."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, text, document_z FROM versions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        updates = []
        for row_id, stored_text, blob in rows:
            text = unpack_text(stored_text)
            document = _load(blob) if blob is not None else None
            if pack:
                document, stored = pack_document(document, text), pack_text(text) if sqlite and text else text
            else:
                document, stored = unpack_document(document, text), text
            updates.append({"id": row_id, "t": stored, "z": None if document is None else _dump(document)})
        conn.execute(sa.text("UPDATE versions SET text = :t, document_z = :z WHERE id = :id"), updates)
        last = rows[-1][0]


def upgrade() -> None:
    _rewrite(pack=True)


def downgrade() -> None:
    _rewrite(pack=False)
