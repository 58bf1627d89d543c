"""intake: every step of the case on the public timeline (version, state, deadline, on time);
the explanations given, kept for publication

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
    with op.batch_alter_table("timeline_entries") as batch:
        batch.alter_column("label_vi", existing_type=sa.String(200), type_=sa.String(500),
                           existing_nullable=False)
        batch.alter_column("label_en", existing_type=sa.String(200), type_=sa.String(500),
                           existing_nullable=False)
        batch.add_column(sa.Column("case_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("state", sa.String(20), nullable=True))
        batch.add_column(sa.Column("due_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("on_time", sa.Boolean(), nullable=True))
    # Registration is the case's version 0: a registration already on a timeline keeps its one
    # entry when its event comes again.
    op.execute("UPDATE timeline_entries SET case_version = 0, state = 'received' "
               "WHERE step = 'registered'")
    with op.batch_alter_table("timeline_entries") as batch:
        batch.create_unique_constraint("uq_timeline_entries_request_version",
                                       ["request_id", "case_version"])
    op.create_table(
        "answers",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("case_version", sa.Integer(), primary_key=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("commitments", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answers")
    # The narrower columns cannot hold a refusal that names another agency in full.
    op.execute("UPDATE timeline_entries SET label_vi = substr(label_vi, 1, 200), "
               "label_en = substr(label_en, 1, 200)")
    with op.batch_alter_table("timeline_entries") as batch:
        batch.drop_constraint("uq_timeline_entries_request_version", type_="unique")
        batch.drop_column("on_time")
        batch.drop_column("due_by")
        batch.drop_column("state")
        batch.drop_column("case_version")
        batch.alter_column("label_en", existing_type=sa.String(500), type_=sa.String(200),
                           existing_nullable=False)
        batch.alter_column("label_vi", existing_type=sa.String(500), type_=sa.String(200),
                           existing_nullable=False)
