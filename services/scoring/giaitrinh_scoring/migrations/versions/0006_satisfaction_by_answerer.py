"""scoring: satisfaction per unit and official — each answer of a request and each rating, so a
rating counts for the unit and the official who gave the answer it rates, whatever arrives first

Revision ID: 0006_satisfaction_by_answerer
Revises: 0005_repeated_transfers
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_satisfaction_by_answerer"
down_revision = "0005_repeated_transfers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answers_on_record",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("official_id", sa.String(100), nullable=True),
    )
    op.create_index("ix_answers_on_record_request", "answers_on_record", ["request_id"])
    op.create_table(
        "ratings_on_record",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("locality_code", sa.String(10), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("answer_case_id", sa.String(64), nullable=True),
        sa.Column("answer_version", sa.Integer(), nullable=True),
    )
    op.create_index("ix_ratings_on_record_request", "ratings_on_record", ["request_id"])
    op.create_index("ix_ratings_on_record_locality", "ratings_on_record", ["locality_code", "rated_at"])
    op.create_table(
        "accountable_indicator_values",
        sa.Column("locality_code", sa.String(10), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("accountable_kind", sa.String(10), primary_key=True),
        sa.Column("accountable_id", sa.String(100), primary_key=True),
        sa.Column("indicator", sa.String(60), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("accountable_indicator_values")
    op.drop_index("ix_ratings_on_record_locality", table_name="ratings_on_record")
    op.drop_index("ix_ratings_on_record_request", table_name="ratings_on_record")
    op.drop_table("ratings_on_record")
    op.drop_index("ix_answers_on_record_request", table_name="answers_on_record")
    op.drop_table("answers_on_record")
