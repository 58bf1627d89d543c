"""intake: its copy of routing's registry — the localities served (with their units and
fields) and the systems allowed to publish (their API key's SHA-256), fed by routing's events

Revision ID: 0004_registry
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_registry"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "localities",
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("province_name", sa.String(200), nullable=False),
        sa.Column("division_type", sa.String(40), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_localities_served", "localities", ["served"])
    op.create_table(
        "publishers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("localities", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("publishers")
    op.drop_index("ix_localities_served", table_name="localities")
    op.drop_table("localities")
