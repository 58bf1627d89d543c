"""routing: units of each locality, routing rules by field, the rule that routed each case

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("locality_code", sa.String(10), sa.ForeignKey("localities.code"), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "routing_rules",
        sa.Column("locality_code", sa.String(10), sa.ForeignKey("localities.code"), primary_key=True),
        sa.Column("field", sa.String(40), primary_key=True),
        sa.Column("unit_code", sa.String(40), nullable=False),
        sa.Column("official_id", sa.String(100), nullable=False, server_default=""),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("routed_by", sa.String(60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("routed_by")
    op.drop_table("routing_rules")
    op.drop_table("units")
