"""versions.text compressed with lz4 instead of pglz on PostgreSQL (issue #16: PostgreSQL within 1.2×
of SQLite)

PostgreSQL compresses a version's text itself (TOAST; it stays plain to SQL, which searches it). With
pglz that cost the server ~0.2 ms of CPU per stored page of the crawl benchmark, on the cores the
crawl needs; lz4 takes ~0.07 ms and reads back faster, for ~0.8 KB more per version (4.8 → 5.6 KB
on the benchmark's pages; the body compressed against the text, migration 0020, saved 3.3 KB).

Values written before keep pglz (each says how it is compressed) and read the same. A server built
without lz4 keeps pglz: nothing to do there. SQLite compresses the text in the column
(monitor.store.packing): nothing to do either.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _lz4_available() -> bool:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return False
    # Listed among the setting's values only on a server built with lz4 (PostgreSQL 14 and later).
    values = conn.execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return "lz4" in (values or [])


def upgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE versions ALTER COLUMN text SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE versions ALTER COLUMN text SET COMPRESSION default")
