"""The deadline watcher (due soon, overdue, escalation — each once, under a test clock) and the
hash-chained audit log that catches an edited, removed or reordered row."""
import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from giaitrinh_common import contracts
from giaitrinh_platform.cli import main
from giaitrinh_routing.domain.calendar import WorkingDayCalendar
from giaitrinh_routing.domain.case import Actor, Case, Role
from giaitrinh_routing.domain.deadline_watch import AlertKind, WatchPolicy, due_alerts, next_watch
from giaitrinh_routing.service_layer.handlers import ActOnCase
from tests.support.factories import migrated_runtime
from tests.unit.test_routing_case_actions import cases_events, open_case, seed_ward

WARD = "18880"
OFFICIAL = Actor("u-1", Role.OFFICIAL, frozenset({WARD}), "dia-chinh")
CAL = WorkingDayCalendar()
POLICY = WatchPolicy(lead_working_days=2, escalate_after_working_days=3)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 09:00 in Vietnam


@pytest.fixture
def clock():
    return Clock(at(date(2026, 11, 2)))


@pytest.fixture
def routing(bus, sqlite_url, clock):
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus)
    runtime.clock = clock
    seed_ward(runtime)
    yield runtime
    runtime.close()


def alerts_of(runtime) -> list[tuple[str, str, str | None]]:
    return [(e.data["alert"]["kind"], e.data["alert"]["step"], e.data["alert"]["escalate_to"])
            for e in cases_events(runtime) if e.type == "vn.giaitrinh.case.deadline_alert.v1"]


def received_case(accept_by: date) -> Case:
    case = Case.register(id="c", request_id="r", tracking_code="t", kind="feedback", field="land",
                         locality_code=WARD, now=at(date(2026, 11, 2)))
    case.accept_by = accept_by
    return case


def test_alerts_start_two_working_days_ahead_the_day_after_and_three_working_days_after():
    case = received_case(date(2026, 11, 9))  # a Monday
    starts = {a.kind: a.starts_on for a in due_alerts(case, date(2026, 11, 30), CAL, POLICY, set())}
    assert starts == {AlertKind.OVERDUE: date(2026, 11, 10), AlertKind.ESCALATED: date(2026, 11, 12)}
    [soon] = due_alerts(case, date(2026, 11, 5), CAL, POLICY, set())  # Thu: Fri and Mon left
    assert soon.kind is AlertKind.DUE_SOON and soon.escalate_to is None
    assert due_alerts(case, date(2026, 11, 4), CAL, POLICY, set()) == []
    assert next_watch(case, date(2026, 11, 5), CAL, POLICY, {soon.key}) == date(2026, 11, 10)


def test_the_watcher_warns_then_escalates_an_overdue_case_under_a_test_clock(routing, clock):
    open_case(routing)  # received Monday 2 Nov: accept by Monday 9 Nov
    assert routing.watch() == 0
    clock.at = at(date(2026, 11, 5))  # Thursday: 9 Nov is two working days away
    assert routing.watch() == 1
    assert routing.watch() == 0  # once
    clock.at = at(date(2026, 11, 10))
    assert routing.watch() == 1
    clock.at = at(date(2026, 11, 12))
    assert routing.watch() == 1
    clock.at = at(date(2026, 12, 31))
    assert routing.watch() == 0  # nothing left to say about this step
    assert alerts_of(routing) == [("due_soon", "accept", None), ("overdue", "accept", "unit_head"),
                                  ("escalated", "accept", "locality_head")]
    for event in cases_events(routing):
        contracts.validate(event)


def test_a_late_first_sweep_raises_overdue_and_escalation_but_not_due_soon(routing, clock):
    open_case(routing)
    clock.at = at(date(2026, 11, 20))
    assert routing.watch() == 2
    assert [k for k, _, _ in alerts_of(routing)] == ["overdue", "escalated"]


def test_a_new_deadline_after_acceptance_gets_its_own_alerts(routing, clock):
    case_id = open_case(routing)
    clock.at = at(date(2026, 11, 5))
    routing.watch()
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))  # answer by 20 Nov
    clock.at = at(date(2026, 11, 18))
    assert routing.watch() == 1
    assert alerts_of(routing)[-1] == ("due_soon", "answer", None)


def test_an_answered_case_is_no_longer_watched(routing, clock):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))
    routing.act(ActOnCase(case_id, "answer", OFFICIAL, {"explanation": "x", "legal_basis": "y"}))
    clock.at = at(date(2026, 12, 31))
    assert routing.watch() == 0
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).watch_from is None


def test_the_watcher_survives_a_restart_and_two_workers_sweeping_at_once(routing, clock, bus):
    for _ in range(5):
        open_case(routing)
    clock.at = at(date(2026, 11, 10))
    other = migrated_runtime("routing", str(routing.storage.engine.url), bus)
    other.clock = clock
    results: list[int] = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.watch())) for r in (routing, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    restarted = migrated_runtime("routing", str(routing.storage.engine.url), bus)
    restarted.clock = clock
    assert restarted.watch() == 0
    assert sum(results) == 5
    assert [k for k, _, _ in alerts_of(routing)].count("overdue") == 5
    other.close()
    restarted.close()


def test_the_sweep_reads_only_the_cases_due_by_their_watch_date(routing, clock):
    for _ in range(3):
        open_case(routing)
    with routing.unit_of_work() as uow:
        assert uow.cases.due_for_watch(date(2026, 11, 4), 100) == []
        assert len(uow.cases.due_for_watch(date(2026, 11, 5), 100)) == 3


# -- the audit log -------------------------------------------------------------------------------
def verify(url: str):
    return CliRunner().invoke(main, ["audit", "verify"], env={"ROUTING_DATABASE_URL": url})


def audited(routing) -> str:
    case_id = open_case(routing)
    for action, params in [("accept", {}), ("extend", {"days": 3, "reason": "Phức tạp"}),
                           ("answer", {"explanation": "Đã xác minh", "legal_basis": "Luật Đất đai"})]:
        routing.act(ActOnCase(case_id, action, OFFICIAL, params))
    return str(routing.storage.engine.url)


def test_every_change_is_in_the_audit_log_and_the_chain_verifies(routing):
    url = audited(routing)
    with routing.storage.engine.connect() as conn:
        actions = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY seq")).scalars().all()
    assert actions == ["register", "register", "accept", "extend", "answer"]  # the ward, the case…
    result = verify(url)
    assert result.exit_code == 0 and "5 rows" in result.output


@pytest.mark.parametrize("tamper, named", [
    ("UPDATE audit_log SET payload = replace(payload, 'Phức tạp', 'Đơn giản') WHERE seq = 4",
     "row 4: its content does not match its hash (edited)"),
    ("DELETE FROM audit_log WHERE seq = 2", "row 2: missing"),
    ("DELETE FROM audit_log WHERE seq = 5", "the log ends at row 4 but its head says row 5"),
    ("UPDATE audit_log SET seq = seq + 10 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;"
     " UPDATE audit_log SET seq = 3 WHERE seq = 12", "row 2: does not follow row 1"),
], ids=["edited", "removed", "last-removed", "reordered"])
def test_audit_verify_names_the_row_that_was_tampered_with(routing, tamper, named):
    url = audited(routing)
    with routing.storage.engine.begin() as conn:
        for statement in tamper.split(";"):
            conn.execute(sa.text(statement))
    result = verify(url)
    assert result.exit_code == 1
    assert named in result.output


def test_an_edited_deadline_in_the_log_is_caught():
    """The deadline itself is covered by the hash: moving it silently breaks the chain."""
    from giaitrinh_routing.domain.audit import AuditEntry, StoredEntry, chain_hash, first_break

    entry = AuditEntry("2026-11-02T02:00:00+00:00", "u-1", "official", "case", "c", "accept",
                       {"deadlines": {"answer_by": "2026-11-17"}})
    row = StoredEntry(1, entry, "0" * 64, chain_hash("0" * 64, 1, entry))
    assert first_break([row], (1, row.hash)) is None
    moved = AuditEntry(**{**entry.__dict__, "payload": {"deadlines": {"answer_by": "2026-12-17"}}})
    assert "edited" in first_break([StoredEntry(1, moved, row.prev_hash, row.hash)], (1, row.hash))


def test_on_sqlite_two_officials_acting_at_once_append_to_one_chain(routing):
    """SQLite serialises writers: both succeed, one after the other. (The race on PostgreSQL,
    where the second must fail rather than fork the chain, is an integration test.)"""
    case_ids = [open_case(routing) for _ in range(2)]
    failures: list[Exception] = []

    def accept(case_id):
        try:
            routing.act(ActOnCase(case_id, "accept", OFFICIAL))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=accept, args=(c,)) for c in case_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    result = verify(str(routing.storage.engine.url))
    assert result.exit_code == 0 and "5 rows" in result.output  # the ward, 2 cases, 2 accepts
