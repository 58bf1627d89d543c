"""Scoring's violation.flagged events as scoring tells them: routing's own events (deadline
alert, dispute decided, commitment alert) through scoring's own rules and ``events_out``, so
notify's tests read exactly what scoring publishes (each checked against its schema)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.adapters import events_out as routing_events
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import AlertKind, DeadlineAlert
from giaitrinh_scoring.adapters import events_out
from giaitrinh_scoring.domain.violations import CaseOnRecord, flag_raised_by, repeated_transfers, transfer_told_by
from tests.support.case_history import CaseHistory


def flagged(raised_by: CloudEvent, history: CaseHistory, *, known: bool = True) -> CloudEvent:
    """The violation.flagged ``raised_by`` causes; ``known``: scoring has the case on record
    (its tracking code, its official), as it has once it read the case's earlier steps."""
    flag = flag_raised_by(raised_by.type, raised_by.data, event_id=raised_by.id, at=raised_by.time)
    assert flag is not None, raised_by.type
    if known:
        flag = flag.naming(CaseOnRecord(history.case.id, history.request_id, history.case.tracking_code,
                                        history.case.unit_code, history.case.official_id, history.case.version))
    event = events_out.violation_flagged(flag, raised_by)
    contracts.validate(event)
    return event


def overdue_alert(history: CaseHistory, kind: AlertKind = AlertKind.OVERDUE) -> CloudEvent:
    """The deadline watcher's alert on the day after the case's accept-by date (09:00 in Vietnam)."""
    deadline = history.case.accept_by or date(2026, 11, 9)
    at = datetime.combine(deadline + timedelta(days=1), time(2), UTC)
    event = routing_events.deadline_alert(history.case, DeadlineAlert("accept", kind, deadline, deadline), at)
    contracts.validate(event)
    return event


def passed_around(history: CaseHistory, limit: int = 2) -> CloudEvent:
    """The violation.flagged the transfers of ``history``'s case raise (they must pass ``limit``)."""
    told = [transfer_told_by(e.type, e.data, event_id=e.id, at=e.time) for e in history.events]
    flag = repeated_transfers([t for t in told if t is not None], limit)
    assert flag is not None
    [raised_by] = [e for e in history.events if e.id == flag.raised_by]
    event = events_out.violation_flagged(flag, raised_by)
    contracts.validate(event)
    return event


def every_kind() -> dict[str, CloudEvent]:
    """One violation.flagged of each kind, keyed by kind."""
    late = CaseHistory()
    late.assign(official="can-bo-1")
    upheld = CaseHistory()
    upheld.accept()
    upheld.answer()
    upheld.dispute()
    decision = upheld.decide_dispute(upheld=True)
    promised = CaseHistory()
    promise = Commitment(str(uuid.uuid4()), promised.case.id, promised.request_id, promised.case.locality_code,
                         "Cắm lại mốc giới thửa đất", "dia-chinh", date(2026, 12, 15))
    commitment = routing_events.commitment_alert(promise, "overdue", datetime(2026, 12, 16, 2, tzinfo=UTC))
    passed = CaseHistory()
    passed.assign(official="can-bo-1")
    for unit in ("kinh-te", "van-hoa", "dia-chinh"):
        passed.transfer(unit)
    return {"late_handling": flagged(overdue_alert(late), late),
            "dispute_upheld": flagged(decision, upheld),
            "commitment_overdue": flagged(commitment, promised),
            "repeated_transfers": passed_around(passed)}
