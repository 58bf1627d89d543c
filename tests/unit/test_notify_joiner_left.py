"""A joiner who left the request (request.join_withdrawn) is told nothing more of it: notify
forgets the contact their request.joined brought, whatever order the two arrive in; the
requester's statutory notices go on."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.adapters.orm import requester_contacts
from tests.support.case_history import CaseHistory
from tests.support.consuming import consume
from tests.support.factories import LOCALITY, migrated_runtime

REQUESTER = {"email": "dan@example.vn", "phone": "+84 912 345 678"}
JOINER = {"email": "ba@example.vn", "phone": "+84 913 000 111",
          "requester_link": "/yeu-cau/GT-7X9V-FH1S-T/bi-mat-joiner"}
JOINER_ADDRESSES = {JOINER["email"], JOINER["phone"]}


@pytest.fixture
def runtime(tmp_path, bus):
    rt = migrated_runtime("notify", f"sqlite:///{tmp_path}/notify.db", bus)
    yield rt
    rt.close()


def _requester_action(kind: str, history: CaseHistory, at: datetime, **data) -> CloudEvent:
    body = {"request_id": history.request_id, "tracking_code": history.case.tracking_code,
            "locality_code": LOCALITY, f"{kind}_at": at.isoformat(), **data}
    event = CloudEvent.new(type=f"vn.giaitrinh.request.{kind}.v1", source="/tests", subject=history.request_id,
                           locality=LOCALITY, data=body, time=at)
    contracts.validate(event)
    return event


def joined(history: CaseHistory) -> CloudEvent:
    return _requester_action("joined", history, datetime(2026, 11, 3, 2, tzinfo=UTC), joiner_count=1,
                             contact=JOINER)


def left(history: CaseHistory, joined_event: CloudEvent) -> CloudEvent:
    return _requester_action("join_withdrawn", history, datetime(2026, 11, 4, 2, tzinfo=UTC), joiner_count=0,
                             joined_event_id=joined_event.id)


def told(runtime, template: str) -> set[str]:
    """The addresses a requester's notice of ``template`` was recorded for."""
    with runtime.unit_of_work() as uow:
        return {d.recipient for d in uow.deliveries.listed(limit=1000)
                if d.audience == "requester" and d.template.startswith(f"requester/{template}/")}


def stored_joiner(runtime, joined_event: CloudEvent) -> dict:
    with runtime.storage.engine.connect() as db:
        return dict(db.execute(sa.select(requester_contacts).where(
            requester_contacts.c.source == joined_event.id)).mappings().one())


def a_case_with_a_joiner() -> CaseHistory:
    history = CaseHistory()
    history.submitted.data["contact"] = REQUESTER  # the case's events follow this very event
    return history


def test_a_joiner_who_left_is_not_told_of_later_steps_and_the_requester_still_is(runtime):
    history = a_case_with_a_joiner()
    joining = joined(history)
    consume(runtime, history.submitted, *history.events, joining)
    assert told(runtime, "joined") == JOINER_ADDRESSES  # told of their joining while still in
    leaving = left(history, joining)
    consume(runtime, leaving, leaving)  # delivered twice
    consume(runtime, left(history, joining))  # and told again under another id
    history.accept()
    consume(runtime, history.events[-1])
    assert told(runtime, "accepted") == set(REQUESTER.values())
    kept = stored_joiner(runtime, joining)  # their contact is forgotten, not only unused
    assert (kept["email"], kept["phone"], kept["requester_link"]) == (None, None, None)
    assert kept["left_at"] is not None


def test_a_withdrawal_read_before_the_joining_keeps_the_joiner_untold(runtime):
    history = a_case_with_a_joiner()
    joining = joined(history)
    consume(runtime, history.submitted, *history.events, left(history, joining))
    consume(runtime, joining)  # the joining, read late, brings no contact back
    history.accept()
    consume(runtime, history.events[-1])
    assert told(runtime, "joined") == set()
    assert told(runtime, "accepted") == set(REQUESTER.values())
    assert stored_joiner(runtime, joining)["email"] is None


def test_a_joiner_who_stays_is_told_of_the_steps(runtime):
    history = a_case_with_a_joiner()
    consume(runtime, history.submitted, *history.events, joined(history))
    history.accept()
    consume(runtime, history.events[-1])
    assert told(runtime, "accepted") == set(REQUESTER.values()) | JOINER_ADDRESSES
