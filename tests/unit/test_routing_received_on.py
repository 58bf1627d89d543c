"""A request an official recorded days after receiving it — directly, by hotline, at a voter
meeting or by mail — is timed from the day it was received, not the day it was typed in
(Decree 59/2019, Art. 12; Civil Code Art. 147): ``request.submitted``'s ``received_on`` sets
the case's received day, its rule set and its first deadline, and the deadline watcher, the
API and the case page go by it. Through routing's own handlers and web app, on SQLite."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from giaitrinh_common.consumer import RejectedEvent
from giaitrinh_routing.domain.calendar import WorkingDayCalendar
from giaitrinh_routing.domain.time_limits import RuleBook, TimeLimitSet
from giaitrinh_routing.entrypoints.web import create_app
from giaitrinh_routing.service_layer.handlers import on_request_submitted, received_day
from tests.support.factories import request_submitted
from tests.support.signed_in import Clock, signed_in_client, signing_keys, signing_routing

# Thursday 26 November 2026, 09:00 in Hà Nội; three working days before it: Friday 20 (Tuesday
# 24 is Vietnamese Culture Day, a day off).
RECORDED = datetime(2026, 11, 26, 2, tzinfo=UTC)
THREE_WORKING_DAYS_AGO = date(2026, 11, 20)


@pytest.fixture
def routing(bus, sqlite_url, tmp_path):
    with signing_routing(bus, sqlite_url("routing"), signing_keys(tmp_path), Clock(RECORDED)) as runtime:
        yield runtime


def recorded(received_on: date | None, at: datetime = RECORDED, **data):
    """``request.submitted`` of a request an official recorded by hotline at ``at``."""
    extra = {"received_by": "official-1", **({"received_on": received_on.isoformat()} if received_on else {})}
    return request_submitted(kind="accountability_request", channel="hotline",
                             submitted_at=at.isoformat(), **extra, **data)


def open_case(runtime, event, rules=None):
    with runtime.unit_of_work() as uow:
        assert uow.claim("routing", event)
        on_request_submitted(event, uow, runtime.now(), rules or runtime.rules, runtime.calendar)
        uow.commit()
    with runtime.unit_of_work() as uow:
        return uow.cases.for_request(event.subject)


def test_a_request_recorded_today_but_received_three_working_days_ago_is_timed_from_the_day_received(routing):
    case = open_case(routing, recorded(THREE_WORKING_DAYS_AGO))
    assert case.received_on == THREE_WORKING_DAYS_AGO
    # 5 working days after Friday 20 (the day itself not counted): Monday 30 November — not
    # Thursday 3 December, 5 working days after the day it was typed in.
    assert case.accept_by == date(2026, 11, 30)
    assert case.registered_at == RECORDED  # the platform still says when it was recorded


def test_a_request_without_received_on_is_received_the_day_it_was_submitted(routing):
    case = open_case(routing, recorded(None))
    assert case.received_on == date(2026, 11, 26) and case.accept_by == date(2026, 12, 3)


def test_a_request_received_long_enough_ago_is_overdue_for_the_watcher_the_day_it_is_recorded(routing):
    # Recorded on Wednesday 2 December; received Friday 20 November: accept by Monday 30, so
    # the accepting step is late the day it reaches the platform, and the unit head is told.
    routing.clock = lambda: datetime(2026, 12, 2, 2, tzinfo=UTC).timestamp()
    case = open_case(routing, recorded(THREE_WORKING_DAYS_AGO, at=datetime(2026, 12, 2, 2, tzinfo=UTC)))
    assert case.accept_by == date(2026, 11, 30) and case.overdue(date(2026, 12, 2)) == "accept"
    assert routing.watch() == 1
    with routing.unit_of_work() as uow:
        raised = uow.alerts.raised([case.id])[case.id]
    assert raised == {("accept", "overdue", date(2026, 11, 30))}


def test_a_case_keeps_the_rule_set_in_force_on_the_day_its_request_was_received(routing):
    # A set taking effect on Tuesday 24 November (3 working days to accept) does not time a
    # request received on Friday 20, recorded after it took effect; it times one received on 25.
    newer = TimeLimitSet.from_dict({
        "id": "luat-132-2025", "kind": "accountability_request", "effective_from": "2026-11-24",
        "legal_basis": "test", "accept": {"amount": 3, "unit": "working_days"},
        "explain": {"amount": 10, "unit": "days"}, "extension_max": {"amount": 10, "unit": "days"},
        "max_extensions": 1})
    rules = RuleBook([*routing.rules.sets, newer])
    case = open_case(routing, recorded(THREE_WORKING_DAYS_AGO), rules)
    assert case.time_limits_id == "nd59-2019-giai-trinh" and case.accept_by == date(2026, 11, 30)
    later = open_case(routing, recorded(date(2026, 11, 25)), rules)
    assert later.time_limits_id == "luat-132-2025" and later.accept_by == date(2026, 11, 30)


def test_a_received_on_after_the_day_recorded_counts_as_the_day_recorded():
    event = recorded(date(2026, 11, 28))
    assert received_day(event.data) == date(2026, 11, 26)


def test_a_request_received_before_any_time_limits_took_effect_is_dead_lettered_with_its_reason(routing):
    with pytest.raises(RejectedEvent, match="no time limits"):
        open_case(routing, recorded(date(2018, 5, 2)))


def test_the_api_and_the_case_page_show_the_day_the_request_was_received(routing):
    case = open_case(routing, recorded(THREE_WORKING_DAYS_AGO))
    client = signed_in_client(create_app(routing), "chu-tich", role="locality_head", unit=None)
    got = client.get(f"/api/v1/cases/{case.id}").json
    assert got["received_on"] == "2026-11-20" and got["accept_by"] == "2026-11-30"
    [listed] = client.get("/api/v1/cases").json["items"]
    assert listed["received_on"] == "2026-11-20"
    page = client.get(f"/console/ho-so/{case.id}", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.status_code == 200
    assert '<time datetime="2026-11-20">' in page.text
    assert "Registered in the platform" in page.text


def test_the_working_day_calendar_agrees_with_the_dates_these_rules_use():
    # The dates above count Tuesday 24 November 2026 as a day off and no other weekday.
    calendar = WorkingDayCalendar()
    assert calendar.add_working_days(THREE_WORKING_DAYS_AGO, 3).end == date(2026, 11, 26)
    assert calendar.add_working_days(THREE_WORKING_DAYS_AGO, 5).end == date(2026, 11, 30)
