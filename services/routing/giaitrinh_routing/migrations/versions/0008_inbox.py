"""routing: the console's inbox sorted by next deadline through an index, not a sort of the locality

Revision ID: 0008_inbox
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_inbox"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("next_deadline", sa.Date(), nullable=True))
    op.execute("UPDATE cases SET next_deadline = CASE WHEN state = 'received' THEN accept_by "
               "WHEN state = 'accepted' THEN answer_by END")
    op.create_index("ix_cases_inbox", "cases", ["locality_code", "next_deadline"])


def downgrade() -> None:
    op.drop_index("ix_cases_inbox", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("next_deadline")
