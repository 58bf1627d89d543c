"""scoring: the officials' names, from routing's account.changed, so the satisfaction page and
the flags name an official rather than show an account id

Revision ID: 0007_official_names
Revises: 0006_satisfaction_by_answerer
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_official_names"
down_revision = "0006_satisfaction_by_answerer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officials",
        sa.Column("account_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_code", sa.String(40), nullable=True),
        sa.Column("localities", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("officials")
