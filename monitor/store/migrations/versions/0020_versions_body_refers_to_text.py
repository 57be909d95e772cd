"""versions.raw_html_z of new versions compressed with the version's text as a prefix their frame
refers to (issue #16: ≤ 12 KB of database per stored version)

The page's words are in the text already, so the body's frame holds little more than the markup:
4.0 → 0.7 KB a version on the benchmark's pages, 9.1 → 5.0 KB on real government pages. Such a value
starts with b"PWt1" and reads back only with its version's text (monitor.store.packing.pack_body).
Bodies written before stand alone and read the same, so the upgrade has nothing to do: rewriting
every stored body would make an upgrade cost as much as the library is large.

The downgrade writes each body that refers to its text as a standalone zstd frame, the form the
code of 0019 reads.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 12:00:00
"""

import zlib

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_BATCH = 500
_TEXT_REF = b"PWt1"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def upgrade() -> None:
    pass


def _text(value: object) -> str:
    """A version's text as stored: plain (PostgreSQL), or a zstd frame or zlib stream (SQLite)."""
    if isinstance(value, str):
        return value
    blob = bytes(value)  # type: ignore[call-overload]
    if blob.startswith(_ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().decompress(blob).decode("utf-8")
    return zlib.decompress(blob).decode("utf-8")


def _standalone(body_z: bytes, text: str) -> bytes:
    words = zstandard.ZstdCompressionDict(text.encode("utf-8"), dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    body = zstandard.ZstdDecompressor(dict_data=words).decompress(body_z[len(_TEXT_REF) :])
    return zstandard.ZstdCompressor(level=3).compress(body)


def downgrade() -> None:
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, raw_html_z, text FROM versions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        updates = [
            {"id": id_, "body": _standalone(bytes(body_z), _text(text))}
            for id_, body_z, text in rows
            if bytes(body_z[:4]) == _TEXT_REF
        ]
        if updates:
            conn.execute(sa.text("UPDATE versions SET raw_html_z = :body WHERE id = :id"), updates)
        last = rows[-1][0]
