"""An official is shown by name, not by account id: scoring keeps each staff account's name,
unit and localities from routing's ``account.changed`` (the latest ``changed_at`` wins; an older
event arriving late, or the same event twice, changes nothing), and the satisfaction page, its
JSON and the violation flags name the official beside the id — the id alone, marked not yet
known, until an account event has arrived."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.domain.deadline_watch import AlertKind
from giaitrinh_scoring.adapters.orm import officials
from tests.support import violations
from tests.support.case_history import CaseHistory
from tests.unit import test_scoring_satisfaction_by_answerer
from tests.unit.test_scoring_satisfaction_by_answerer import LOCALITY, OFFICIAL_1, answered_by, consume, rated

api = test_scoring_satisfaction_by_answerer.api  # the fixture: scoring's app and runtime, signed in

PAGE = f"/reports/{LOCALITY}/hai-long?period=2026"
JSON = f"/api/v1/localities/{LOCALITY}/satisfaction?period=2026"


def account_changed(name: str, changed_at: str, account_id: str = OFFICIAL_1.id, **more) -> CloudEvent:
    """Routing's registry telling of an account as it now is (at ``changed_at``)."""
    data = {"account_id": account_id, "name": name, "role": "official", "localities": [LOCALITY],
            "unit_code": "dia-chinh", "active": True, "changed_at": changed_at, **more}
    event = CloudEvent.new(type="vn.giaitrinh.account.changed.v1", source="/giaitrinh/routing",
                           subject=account_id, locality=LOCALITY, data=data,
                           time=datetime.fromisoformat(changed_at))
    contracts.validate(event)
    return event


def a_rated_answer_of_official_1(rt) -> None:
    history = answered_by(OFFICIAL_1)
    consume(rt, history.submitted, *history.events, rated(history, 4))


def official_row(rt) -> list:
    """The rows scoring keeps of the officials it heard of."""
    with rt.unit_of_work() as uow:
        return uow.session.execute(sa.select(officials)).mappings().all()


def test_before_any_account_event_the_official_is_the_id_marked_not_yet_known(api):
    rt, get = api
    a_rated_answer_of_official_1(rt)
    html = get(PAGE).get_data(as_text=True)
    assert "<code>can-bo-1</code> <small>(chưa biết tên)</small>" in html
    assert get(JSON).json["officials"][0]["official_name"] is None
    assert "name not yet known" in get(PAGE + "&lang=en").get_data(as_text=True)


def test_the_official_counted_for_a_rating_is_shown_by_name_after_the_account_event(api):
    rt, get = api
    a_rated_answer_of_official_1(rt)
    consume(rt, account_changed("Nguyễn Văn An", "2026-03-01T08:00:00+07:00", email="an@example.vn"))
    html = get(PAGE).get_data(as_text=True)
    assert "Nguyễn Văn An <small><code>can-bo-1</code></small>" in html and "chưa biết tên" not in html
    assert ">Cán bộ</th>" in html
    [official] = get(JSON).json["officials"]
    assert (official["official_id"], official["official_name"], official["ratings_count"]) == (
        "can-bo-1", "Nguyễn Văn An", 1)
    [kept] = official_row(rt)
    assert (kept["unit_code"], kept["localities"]) == ("dia-chinh", [LOCALITY])
    assert "email" not in kept and "phone" not in kept  # scoring keeps no one's contact


def test_a_rename_shows_the_new_name_and_an_older_event_arriving_late_changes_nothing(api):
    rt, get = api
    a_rated_answer_of_official_1(rt)
    first = account_changed("Nguyễn Văn An", "2026-03-01T08:00:00+07:00")
    renamed = account_changed("Nguyễn Văn Bình", "2026-04-01T08:00:00+07:00")
    consume(rt, first, renamed)
    assert get(JSON).json["officials"][0]["official_name"] == "Nguyễn Văn Bình"
    stale = account_changed("Tên Cũ", "2026-02-01T08:00:00+07:00", unit_code="kinh-te")
    consume(rt, stale)
    assert get(JSON).json["officials"][0]["official_name"] == "Nguyễn Văn Bình"
    [kept] = official_row(rt)
    assert (kept["name"], kept["unit_code"]) == ("Nguyễn Văn Bình", "dia-chinh")
    assert kept["changed_at"].replace(tzinfo=kept["changed_at"].tzinfo or UTC) == datetime(2026, 4, 1, 1, tzinfo=UTC)


def test_the_same_account_event_twice_is_applied_once(api):
    rt, get = api
    event = account_changed("Nguyễn Văn An", "2026-03-01T08:00:00+07:00")
    with rt.unit_of_work() as uow:  # told twice straight to the handler, past the consumer's inbox
        rt.handlers()[event.type](event, uow)
        rt.handlers()[event.type](event, uow)
        uow.commit()
    consume(rt, event)
    assert [(r["account_id"], r["name"]) for r in official_row(rt)] == [("can-bo-1", "Nguyễn Văn An")]


def test_a_name_with_markup_is_escaped_on_the_page(api):
    rt, get = api
    a_rated_answer_of_official_1(rt)
    consume(rt, account_changed("<script>alert(1)</script>", "2026-03-01T08:00:00+07:00"))
    html = get(PAGE).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html


def test_the_flags_name_the_official_once_their_account_is_known(api):
    rt, get = api
    late = CaseHistory()
    late.assign(official=OFFICIAL_1.id)
    consume(rt, late.submitted, *late.events, violations.overdue_alert(late, AlertKind.OVERDUE))
    [flag] = get("/api/v1/flags").json["items"]
    assert (flag["official_id"], flag["official_name"]) == ("can-bo-1", None)
    consume(rt, account_changed("Nguyễn Văn An", "2026-03-01T08:00:00+07:00"))
    [flag] = get("/api/v1/flags").json["items"]
    assert (flag["official_id"], flag["official_name"]) == ("can-bo-1", "Nguyễn Văn An")


@pytest.mark.parametrize("missing", ["unit_code"])
def test_an_account_without_a_unit_is_kept_with_none(api, missing):
    rt, get = api
    event = account_changed("Trần Thị Chi", "2026-03-01T08:00:00+07:00", account_id="chu-tich")
    del event.data[missing]
    consume(rt, event)
    [kept] = official_row(rt)
    assert (kept["name"], kept["unit_code"]) == ("Trần Thị Chi", None)
