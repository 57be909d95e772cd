"""source health: failing state, the link count of the last good run; source-level events;
policies: the day of the last full (unconditional) fetch

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("failing_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("failing_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("good_links", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("policies") as batch_op:
        batch_op.add_column(sa.Column("full_fetch_on", sa.Date(), nullable=True))
    with op.batch_alter_table("events") as batch_op:
        batch_op.alter_column("policy_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_events_source_id", "sources", ["source_id"], ["id"])
        batch_op.create_index("ix_events_source_id", ["source_id"])


def downgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_source_id")
        batch_op.drop_constraint("fk_events_source_id", type_="foreignkey")
        batch_op.drop_column("source_id")
        batch_op.alter_column("policy_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("policies") as batch_op:
        batch_op.drop_column("full_fetch_on")
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("good_links")
        batch_op.drop_column("failing_run_id")
        batch_op.drop_column("failing_reason")
        batch_op.drop_column("failing_since")
