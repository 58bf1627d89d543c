"""scoring: repeated transfers (đùn đẩy) flagged — each case's transfers kept, and the units a
flag names

Revision ID: 0005_repeated_transfers
Revises: 0004_violation_flags
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_repeated_transfers"
down_revision = "0004_violation_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("violation_flags") as batch:
        batch.add_column(sa.Column("units", sa.JSON(), nullable=True))
    op.create_table(
        "case_transfers",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("tracking_code", sa.String(40), nullable=True),
        sa.Column("from_unit", sa.String(40), nullable=True),
        sa.Column("to_unit", sa.String(40), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_transfers")
    with op.batch_alter_table("violation_flags") as batch:
        batch.drop_column("units")
