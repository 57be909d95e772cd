"""policies.next_status_check: the daily lifecycle pass reads only policies with a boundary due

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 07:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.add_column(sa.Column("next_status_check", sa.Date(), nullable=True))
    op.create_index("ix_policies_next_status_check", "policies", ["next_status_check"])
    # Every existing policy is due once: the next pass computes its real next boundary.
    op.execute(sa.text("UPDATE policies SET next_status_check = '1970-01-01'"))


def downgrade() -> None:
    op.drop_index("ix_policies_next_status_check", table_name="policies")
    with op.batch_alter_table("policies") as batch_op:
        batch_op.drop_column("next_status_check")
