"""Supervisors hear of violation flags, through the real services on one in-memory bus: a case
routing's deadline watcher finds overdue is flagged by scoring (late handling), and the ward's
supervisor finds the flag in notify's in-app inbox — once, however often the events come; a
case the ward's head transfers a third time is flagged for đùn đẩy the same way."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.relay import OutboxRelay
from giaitrinh_routing.domain.case import Actor, Role
from giaitrinh_routing.service_layer.handlers import ActOnCase
from tests.support import consuming
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted, serve_in_routing


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


def nine_am(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 09:00 in Vietnam


@pytest.fixture
def services(bus, sqlite_url):
    clock = Clock(nine_am(date(2026, 11, 2)))  # a Monday: the request must be accepted by 9 November
    runtimes = {name: migrated_runtime(name, sqlite_url(name), bus) for name in ("routing", "scoring", "notify")}
    for runtime in runtimes.values():
        runtime.clock = clock
    serve_in_routing(runtimes["routing"])
    # One relay per service, as its worker has (the relay holding the lease publishes).
    relays = {name: OutboxRelay(rt.storage, bus.publisher(), rt.metrics) for name, rt in runtimes.items()}
    yield clock, runtimes, relays
    for runtime in runtimes.values():
        runtime.close()


def consume(runtime) -> None:
    consuming.drain(runtime.consumer())


def supervisor(account_id: str, body: str, locality: str = LOCALITY) -> CloudEvent:
    """A supervisor's account as routing's registry tells notify of it."""
    data = {"account_id": account_id, "name": account_id.upper(), "role": "supervisor", "body": body,
            "localities": [locality], "active": True, "changed_at": "2026-11-01T00:00:00+00:00"}
    return CloudEvent.new(type="vn.giaitrinh.account.changed.v1", source="/tests", subject=account_id,
                          locality=locality, data=data, time=datetime(2026, 11, 1, tzinfo=UTC))


def test_a_case_overdue_is_flagged_and_the_wards_supervisor_reads_it_in_the_app(services, bus):
    clock, rt, relays = services
    routing, scoring, notify = rt["routing"], rt["scoring"], rt["notify"]

    def relay(runtime) -> None:
        relays[runtime.service].relay_all()

    publisher = bus.publisher()
    for account in (supervisor("hdnd-phuong", "hdnd"), supervisor("ubkt-khac", "ubkt", locality="18881")):
        publisher.publish(topics.REGISTRY, account.key, account.to_json())
    submitted = request_submitted(submitted_at=clock.at.isoformat())
    publisher.publish(topics.REQUESTS, submitted.key, submitted.to_json())
    publisher.flush()
    consume(routing)  # the case is registered: accept or refuse by 9 November
    relay(routing)
    consume(notify)  # notify knows the staff and the case before any flag

    clock.at = nine_am(date(2026, 11, 10))  # the day after: the watcher finds it overdue
    assert routing.watch() == 1
    relay(routing)
    consume(scoring)
    relay(scoring)
    relay(routing)  # nothing new: a second relay or redelivery changes nothing downstream
    consume(notify)
    assert notify.sender().send_due() >= 1

    with scoring.unit_of_work() as uow:
        [flag] = uow.flags.for_locality(LOCALITY)[0]
        assert uow.indicators.for_locality(LOCALITY, "2026")["violations_flagged"] == 1
    assert (flag.kind, flag.step) == ("late_handling", "accept@2026-11-09")
    with notify.unit_of_work() as uow:
        assert uow.staff_inbox.unread_count("hdnd-phuong") == 1
        assert uow.staff_inbox.unread_count("ubkt-khac") == 0  # another ward's supervisor
        [message], _ = uow.staff_inbox.page("hdnd-phuong", unread_only=True, offset=0, limit=10)
    assert message.subject == f"Cờ vi phạm: chậm giải trình, hồ sơ {submitted.data['tracking_code']}"
    assert "không được thụ lý đúng hạn (hạn: 09/11/2026)" in message.body
    assert message.link == f"/console/cases/{flag.case_id}"

    # The flag's event told again (a relay that died before marking its rows sent): nothing more.
    [told] = bus.records(topics.SCORES)
    bus.publisher().publish(topics.SCORES, told.key, told.value)
    consume(notify)
    notify.sender().send_due()
    with notify.unit_of_work() as uow:
        assert uow.staff_inbox.unread_count("hdnd-phuong") == 1


def test_a_case_passed_around_three_times_is_flagged_and_the_wards_supervisor_reads_why(services, bus):
    clock, rt, relays = services
    routing, scoring, notify = rt["routing"], rt["scoring"], rt["notify"]
    publisher = bus.publisher()
    account = supervisor("mttq-phuong", "mttq")
    publisher.publish(topics.REGISTRY, account.key, account.to_json())
    submitted = request_submitted(submitted_at=clock.at.isoformat())
    publisher.publish(topics.REQUESTS, submitted.key, submitted.to_json())
    publisher.flush()
    consume(routing)
    with routing.unit_of_work() as uow:
        case = uow.cases.for_request(submitted.subject)
    head = Actor("chu-tich", Role.LOCALITY_HEAD, frozenset({LOCALITY}))
    for unit in ("kinh-te", "van-phong", case.unit_code):  # and back where it started
        routing.act(ActOnCase(case.id, "transfer", head, {"to_unit": unit, "reason": "Không thuộc lĩnh vực."}))
    relays["routing"].relay_all()
    consume(notify)  # notify knows the case before the flag
    consume(scoring)
    relays["scoring"].relay_all()
    consume(notify)
    notify.sender().send_due()

    with scoring.unit_of_work() as uow:
        [flag] = uow.flags.for_locality(LOCALITY, kind="repeated_transfers")[0]
    assert flag.units == (case.unit_code, "kinh-te", "van-phong", case.unit_code)
    with notify.unit_of_work() as uow:
        [message], _ = uow.staff_inbox.page("mttq-phuong", unread_only=True, offset=0, limit=10)
    assert message.subject == f"Cờ vi phạm: đùn đẩy, chuyển nhiều lần, hồ sơ {submitted.data['tracking_code']}"
    assert f"3 lần ({case.unit_code} → kinh-te → van-phong → {case.unit_code})" in message.body
