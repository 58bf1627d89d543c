"""routing: the case workflow — deadlines, unit, version; case steps; commitments

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("time_limits_id", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("accept_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("answer_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("unit_code", sa.String(40), nullable=True))
        batch.add_column(sa.Column("official_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("extensions", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("suspended_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("merged_into", sa.String(64), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_cases_state_answer_by", "cases", ["state", "answer_by"])
    op.create_index("ix_cases_state_accept_by", "cases", ["state", "accept_by"])
    op.create_table(
        "case_steps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=True),
        sa.Column("actor_role", sa.String(30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("details", sa.Text(), nullable=False, server_default="{}"),
        sa.UniqueConstraint("case_id", "version", name="uq_case_steps_case_version"),
    )
    op.create_index("ix_case_steps_case_id", "case_steps", ["case_id"])
    op.create_table(
        "commitments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_commitments_case_id", "commitments", ["case_id"])
    op.create_index("ix_commitments_due_on", "commitments", ["due_on"])


def downgrade() -> None:
    op.drop_index("ix_commitments_due_on", table_name="commitments")
    op.drop_index("ix_commitments_case_id", table_name="commitments")
    op.drop_table("commitments")
    op.drop_index("ix_case_steps_case_id", table_name="case_steps")
    op.drop_table("case_steps")
    op.drop_index("ix_cases_state_accept_by", table_name="cases")
    op.drop_index("ix_cases_state_answer_by", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for name in ("version", "merged_into", "flagged", "suspended_on", "extensions",
                     "official_id", "unit_code", "answer_by", "accept_by", "time_limits_id"):
            batch.drop_column(name)
