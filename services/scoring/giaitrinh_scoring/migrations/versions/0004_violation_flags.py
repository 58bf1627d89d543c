"""scoring: violation flags (vi phạm) raised from routing's case events, once per case, kind and
step; and whose hands each case is in, so that a flag names the official

Revision ID: 0004_violation_flags
Revises: 0003_registry
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_violation_flags"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "violation_flags",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("tracking_code", sa.String(40), nullable=True),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("official_id", sa.String(100), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("raised_by_type", sa.String(200), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "step", name="uq_violation_flags_once"),
    )
    op.create_index("ix_violation_flags_locality", "violation_flags", ["locality_code", "raised_at"])
    op.create_table(
        "cases_on_record",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("tracking_code", sa.String(40), nullable=True),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("official_id", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cases_on_record")
    op.drop_index("ix_violation_flags_locality", table_name="violation_flags")
    op.drop_table("violation_flags")
