"""routing: the inbox's index carries the columns the inbox filters on, so that its walk reads no case

``ix_cases_inbox (locality_code, next_deadline)`` again, with the filtered and shown-in-order
columns included (PostgreSQL's INCLUDE; SQLite keeps the two key columns): a filter by state,
field, channel, unit or lateness is checked on the index entry, not on the case's row fetched
for it (bench/README.md, "inbox": ~6,000 row reads become ~120 index pages for ?state=accepted).

Revision ID: 0011_inbox_covering
Revises: 0010_case_channel
"""
from alembic import op

revision = "0011_inbox_covering"
down_revision = "0010_case_channel"
branch_labels = None
depends_on = None

INCLUDED = ["registered_at", "id", "state", "field", "channel", "unit_code", "official_id", "accept_by",
            "answer_by"]


def upgrade() -> None:
    op.drop_index("ix_cases_inbox", table_name="cases")
    op.create_index("ix_cases_inbox", "cases", ["locality_code", "next_deadline"], postgresql_include=INCLUDED)


def downgrade() -> None:
    op.drop_index("ix_cases_inbox", table_name="cases")
    op.create_index("ix_cases_inbox", "cases", ["locality_code", "next_deadline"])
