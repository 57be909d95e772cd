"""versions.document stored zlib-compressed (document_z): a third of the bytes per version

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 07:05:00
"""

import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("versions") as batch_op:
        batch_op.add_column(sa.Column("document_z", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, document FROM versions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            sa.text("UPDATE versions SET document_z = :z WHERE id = :id"),
            [{"id": row[0], "z": _compress(row[1])} for row in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("document")


def _compress(document: object) -> bytes:
    # PostgreSQL hands JSON back parsed, SQLite as text.
    value = json.loads(document) if isinstance(document, str) else document
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch_op:
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=True))
    conn = op.get_bind()
    for row_id, blob in conn.execute(sa.text("SELECT id, document_z FROM versions")).all():
        conn.execute(
            sa.text("UPDATE versions SET document = :d WHERE id = :id"),
            {"id": row_id, "d": zlib.decompress(blob).decode("utf-8")},
        )
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("document_z")
