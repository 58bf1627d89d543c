"""Routing's tables. Changed only through Alembic revisions in ``migrations/``."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common.storage import BigId, define_plumbing

metadata = sa.MetaData()

localities = sa.Table(
    "localities", metadata,
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("province_code", sa.String(4), nullable=False, index=True),
    sa.Column("division_type", sa.String(40), nullable=False),
    # Whether the platform takes requests for it (the provincial admin enables and disables).
    sa.Column("served", sa.Boolean(), nullable=False, server_default=sa.true()),
)

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("request_id", sa.String(36), nullable=False, unique=True),
    sa.Column("tracking_code", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False, index=True),
    sa.Column("state", sa.String(30), nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("time_limits_id", sa.String(100), nullable=False, server_default=""),
    sa.Column("accept_by", sa.Date(), nullable=True),
    sa.Column("answer_by", sa.Date(), nullable=True),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("official_id", sa.String(100), nullable=True),
    sa.Column("extensions", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("suspended_on", sa.Date(), nullable=True),
    sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("merged_into", sa.String(64), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    # The first day the deadline watcher has something to say about this case (NULL: nothing
    # pending); its index makes a sweep read only the cases due, not every open case.
    sa.Column("watch_from", sa.Date(), nullable=True, index=True),
    # Which routing rule sent the case to its unit ("<locality>:<field>", or "fallback").
    sa.Column("routed_by", sa.String(60), nullable=True),
    # The deadline of the current step (accept_by while received, answer_by while accepted,
    # else NULL), kept by the repository on every save: the inbox sorts by it (0008_inbox).
    sa.Column("next_deadline", sa.Date(), nullable=True),
    # Kênh tiếp nhận, from request.submitted: the inbox filters by it (0010_case_channel).
    sa.Column("channel", sa.String(30), nullable=False, server_default="portal"),
    # Ngày tiếp nhận: the day the request was received, which the time limits count from
    # (0013_case_received_on; NULL for cases registered before: the day they were registered).
    sa.Column("received_on", sa.Date(), nullable=True),
    # The deadline watcher and the inbox sort by the next deadline: an index, not a scan.
    sa.Index("ix_cases_state_answer_by", "state", "answer_by"),
    sa.Index("ix_cases_state_accept_by", "state", "accept_by"),
    # The console's inbox: a locality's cases by the deadline of their current step (0008_inbox),
    # with what it filters on included, checked without reading the cases (0011_inbox_covering).
    sa.Index("ix_cases_inbox", "locality_code", "next_deadline",
             postgresql_include=["registered_at", "id", "state", "field", "channel", "unit_code", "official_id",
                                 "accept_by", "answer_by"]),
    # GET /api/v1/cases: a locality's cases newest first, walked backwards (0015_cases_newest).
    sa.Index("ix_cases_newest", "locality_code", "registered_at", "id"),
    # The same for a provincial admin, who sees every locality (0018_cases_newest_province).
    sa.Index("ix_cases_newest_province", "registered_at", "id"),
)

# Every step a case went through (nhật ký xử lý): who, when, why, and the step's details.
case_steps = sa.Table(
    "case_steps", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_id", sa.String(100), nullable=True),
    sa.Column("actor_role", sa.String(30), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False, server_default=""),
    sa.Column("details", sa.Text(), nullable=False, server_default="{}"),
    sa.UniqueConstraint("case_id", "version", name="uq_case_steps_case_version"),
)

# Cam kết sau giải trình: promises made in an explanation, tracked to completion.
commitments = sa.Table(
    "commitments", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("unit_code", sa.String(40), nullable=False),
    sa.Column("due_on", sa.Date(), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("evidence", sa.Text(), nullable=False, server_default=""),
    sa.Column("reminded", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("flagged_overdue", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("watch_from", sa.Date(), nullable=True, index=True),
)

# Đơn vị: the units of each locality (the registry is the one source of them).
units = sa.Table(
    "units", metadata,
    sa.Column("locality_code", sa.String(10), sa.ForeignKey("localities.code"), primary_key=True),
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
)

# Quy tắc phân công: (locality, field) → unit and, optionally, its default official.
routing_rules = sa.Table(
    "routing_rules", metadata,
    sa.Column("locality_code", sa.String(10), sa.ForeignKey("localities.code"), primary_key=True),
    sa.Column("field", sa.String(40), primary_key=True),
    sa.Column("unit_code", sa.String(40), nullable=False),
    sa.Column("official_id", sa.String(100), nullable=False, server_default=""),
)

# Cảnh báo thời hạn: each alert the watcher raised, once per case, step, kind and deadline.
deadline_alerts = sa.Table(
    "deadline_alerts", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("step", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("deadline", sa.Date(), nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("case_id", "step", "kind", "deadline", name="uq_deadline_alerts_once"),
)

# Nhật ký kiểm toán: append-only, each row chained to the one before by its hash.
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor_id", sa.String(100), nullable=False),
    sa.Column("actor_role", sa.String(30), nullable=False),
    sa.Column("entity", sa.String(30), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# The chain's head: the last sequence number and hash, moved by compare-and-set.
audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# -- accounts and sign-in (revision 0005) --------------------------------------------------------
# Tài khoản: people who sign in. ``localities`` is a JSON list of locality codes.
accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("login", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    sa.Column("localities", sa.Text(), nullable=False, server_default="[]"),
    sa.Column("unit_code", sa.String(40), nullable=True),
    sa.Column("body", sa.String(10), nullable=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("totp_secret", sa.String(64), nullable=True),
    sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
    # Where notify reaches the person besides the console (0010_account_contact): E.164 phone.
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.UniqueConstraint("login", name="uq_accounts_login"),
)

# Failed sign-ins per login name (whether an account has it or not): the lock-out.
sign_in_throttle = sa.Table(
    "sign_in_throttle", metadata,
    sa.Column("login", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
)

# Sign-in sessions: a digest of the secret that renews a person's short-lived token.
account_sessions = sa.Table(
    "account_sessions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("secret_digest", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("secret_digest", name="uq_account_sessions_secret_digest"),
)

# API keys of systems that publish requests: a digest of the key, never the key.
api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("localities", sa.Text(), nullable=False, server_default="[]"),
    sa.Column("key_digest", sa.String(64), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("name", name="uq_api_keys_name"),
    sa.UniqueConstraint("key_digest", name="uq_api_keys_key_digest"),
)

# The requester as those handling the case may know them: what request.submitted carried
# (the contact only with the requester's consent to be notified; never the name or the link).
case_requesters = sa.Table(
    "case_requesters", metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("requester_type", sa.String(20), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, server_default=""),
    sa.Column("phone", sa.String(30), nullable=False, server_default=""),
)

# Tệp đính kèm of the request, as request.submitted lists them (0013_request_files): what each
# file is, never its content — intake keeps the files and serves them to the case's staff.
case_request_files = sa.Table(
    "case_request_files", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
)

# Rút yêu cầu read before the case was opened (its request.submitted dead-lettered — a ward not
# yet served — or read later): kept until the case opens, which then opens withdrawn
# (0014_early_withdrawals). No foreign key: the case does not exist yet.
early_withdrawals = sa.Table(
    "early_withdrawals", metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("locality_code", sa.String(10), nullable=False),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False, server_default=""),
    sa.Column("remembered_at", sa.DateTime(timezone=True), nullable=False),
)

# Tệp đính kèm of each explanation (0014_answer_files): routing's own, kept in the transaction
# that records the answer and its case.answered, as intake keeps a request's (no shared volume).
answer_files = sa.Table(
    "answer_files", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("case_version", sa.Integer(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
    # The SHA-256 of the key that opens this one file to its holder (domain.case_files); NULL for
    # a file kept before keys were given: it opens to none (0017_answer_file_keys).
    sa.Column("access_key_sha256", sa.String(64), nullable=True),
)

# Đồng ý công khai: whether the requester agreed that the explanation be published, as
# request.submitted says (0015_answer_publication); an answer's files are public only with it.
case_publication = sa.Table(
    "case_publication", metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("consent_to_publish", sa.Boolean(), nullable=False, server_default=sa.false()),
)

define_plumbing(metadata)  # outbox, inbox, waiting room, relay lease
