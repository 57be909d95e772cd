"""versions' compressed values written as zstd frames instead of zlib streams (issue #16)

The response body, the text (on SQLite) and the JSON columns of every new version are compressed with
zstd (monitor.store.packing): ~3× faster than zlib's level 4 on government pages, ~5% more bytes.
Nothing changes in the schema, and rows written before keep their zlib streams: a value says which it
is by its first bytes, and both read the same. So the upgrade has nothing to do.

The downgrade writes every zstd value back as a zlib stream, the only form the code of 0018 reads.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 11:00:00
"""

import zlib

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_BATCH = 500
_PACKED = ("raw_html_z", "document_z", "lifecycle_z", "fields_z", "inputs_z", "text")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def upgrade() -> None:
    pass


def _as_zlib(value: object, decompressor: zstandard.ZstdDecompressor) -> object:
    """A zstd frame as a zlib stream (level 6, as 0018's code wrote the JSON columns); other values
    (zlib already, the plain text on PostgreSQL, NULL) as they are."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if not isinstance(value, bytes) or not value.startswith(_ZSTD_MAGIC):
        return value
    return zlib.compress(decompressor.decompress(value), 6)


def downgrade() -> None:
    conn = op.get_bind()
    decompressor = zstandard.ZstdDecompressor()
    columns = ", ".join(_PACKED)
    sets = ", ".join(f"{column} = :{column}" for column in _PACKED)
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {columns} FROM versions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        updates = [
            {"id": row[0], **{c: _as_zlib(v, decompressor) for c, v in zip(_PACKED, row[1:], strict=True)}}
            for row in rows
        ]
        conn.execute(sa.text(f"UPDATE versions SET {sets} WHERE id = :id"), updates)
        last = rows[-1][0]
