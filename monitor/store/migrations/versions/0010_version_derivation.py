"""versions: the derivation version that produced them, and their raw inputs besides the body

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("versions") as batch_op:
        # 0: stored before derivation versions were recorded; re-derived before any comparison.
        batch_op.add_column(sa.Column("derived_by", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("inputs_z", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("inputs_z")
        batch_op.drop_column("derived_by")
