"""versions' lifecycle and fields stored zlib-compressed (lifecycle_z, fields_z) like the document;
indexes a unique constraint already covers dropped (issue #16: ≤ 12 KB per version on PostgreSQL)

Measured on the 1,000-page benchmark library (PostgreSQL 15): the two JSON columns took ~910 bytes of
every row uncompressed (a row under 2 KB is never compressed by TOAST), ~620 bytes as zlib. Switching
the text's TOAST compression to lz4 was measured too and not done: lz4 stores the Chinese text in 4.8 KB
where pglz needs 4.2 KB. ix_versions_policy_id, ix_repeal_links_repealing_policy_id and ix_alerts_event_id
are the leading column of a unique constraint's index, which serves the same lookups.

Same on SQLite and PostgreSQL; the old columns are dropped with ALTER TABLE … DROP COLUMN, which both
have (SQLite ≥ 3.35), rather than by rebuilding the table (which SQLite's foreign keys can refuse while
events point at versions, see 0015). An existing database's file shrinks after `VACUUM` (SQLite) or
`VACUUM FULL versions` (PostgreSQL); new rows are smaller at once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 13:10:00
"""

import json
import zlib
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BATCH = 500
_PACKED = (("lifecycle", "lifecycle_z"), ("fields", "fields_z"))
_REDUNDANT_INDEXES = (
    ("ix_versions_policy_id", "versions", "policy_id"),
    ("ix_repeal_links_repealing_policy_id", "repeal_links", "repealing_policy_id"),
    ("ix_alerts_event_id", "alerts", "event_id"),
)


def _pack(value: Any) -> bytes:
    # PostgreSQL hands JSON back parsed, SQLite as text. As models.CompressedJSON writes it.
    parsed = json.loads(value) if isinstance(value, str) else value
    return zlib.compress(json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def _unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def _copy(columns: tuple[tuple[str, str], ...], convert: Any) -> None:
    """Every version, a batch at a time: each (from, to) column pair's value, converted."""
    conn = op.get_bind()
    sources = ", ".join(source for source, _ in columns)
    sets = ", ".join(f"{target} = :{target}" for _, target in columns)
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {sources} FROM versions WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        updates = [
            {"id": row[0], **{target: convert(value) for (_, target), value in zip(columns, row[1:], strict=True)}}
            for row in rows
        ]
        conn.execute(sa.text(f"UPDATE versions SET {sets} WHERE id = :id"), updates)
        last = rows[-1][0]


def upgrade() -> None:
    for name, table, _ in _REDUNDANT_INDEXES:
        op.drop_index(name, table_name=table)
    for _, packed in _PACKED:
        op.add_column("versions", sa.Column(packed, sa.LargeBinary(), nullable=True))
    _copy(_PACKED, _pack)
    for plain, _ in _PACKED:
        op.execute(f"ALTER TABLE versions DROP COLUMN {plain}")


def downgrade() -> None:
    for plain, _ in _PACKED:
        op.add_column("versions", sa.Column(plain, sa.JSON(), nullable=True))
    _copy(tuple((packed, plain) for plain, packed in _PACKED), _unpack)
    for _, packed in _PACKED:
        op.execute(f"ALTER TABLE versions DROP COLUMN {packed}")
    for name, table, column in _REDUNDANT_INDEXES:
        op.create_index(name, table, [column])
