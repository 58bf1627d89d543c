"""Đùn đẩy — a case passed from unit to unit: scoring flags it once its transfers pass the limit
(``SCORING_TRANSFER_LIMIT``, 2 by default: the third transfer flags), once per case, however
often the events come and in whatever order; the flag names the units the case went through,
is listed for supervisors by ``GET /api/v1/flags``, goes out as ``violation.flagged`` and notify
tells the supervisors in words."""
from __future__ import annotations

import itertools
import uuid

import pytest

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.settings import SettingError
from giaitrinh_notify.adapters.templates import TemplateRenderer, template_name
from giaitrinh_notify.bootstrap import load_rules
from giaitrinh_notify.domain.channels import EMAIL
from giaitrinh_notify.domain.deliveries import Delivery
from giaitrinh_scoring.domain.violations import REPEATED_TRANSFERS, repeated_transfers, transfer_told_by
from giaitrinh_scoring.entrypoints.web import create_app
from giaitrinh_scoring.settings import ScoringSettings
from tests.support import violations
from tests.support.case_history import CaseHistory
from tests.support.consuming import consume
from tests.support.factories import LOCALITY, migrated_runtime
from tests.support.signed_in import bearer, signing_keys

NOW = 1_800_000_000


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring-transfers"), bus)
    yield rt
    rt.close()


def passed_around(times: int) -> CaseHistory:
    """A case assigned to the cadastral officer, then transferred ``times`` times in a ring."""
    history = CaseHistory()
    history.assign(official="can-bo-1")
    for unit in itertools.islice(itertools.cycle(("kinh-te", "van-hoa", "dia-chinh")), times):
        history.transfer(unit)
    return history


def transfers_of(history: CaseHistory) -> list[CloudEvent]:
    return [e for e in history.events if e.type == "vn.giaitrinh.case.transferred.v1"]


def apply_directly(runtime, events: list[CloudEvent]) -> None:
    """Apply events through scoring's handlers in exactly this order (the consumer would keep a
    request's events of one stream in order: this is how a replay or a bug could deliver them)."""
    handlers = runtime.handlers()
    for event in events:
        with runtime.unit_of_work() as uow:
            handlers[event.type](event, uow)
            uow.commit()


def flags(runtime):
    with runtime.unit_of_work() as uow:
        return uow.flags.for_locality(LOCALITY, limit=100)[0]


def told(runtime) -> list[CloudEvent]:
    with runtime.storage.engine.connect() as db:
        rows = db.execute(runtime.storage.outbox.select().order_by(runtime.storage.outbox.c.id)).mappings().all()
    events = [CloudEvent.from_json(row["payload"]) for row in rows]
    for event in events:
        contracts.validate(event)
    return events


def violations_flagged(runtime) -> int | None:
    with runtime.unit_of_work() as uow:
        return uow.indicators.for_locality(LOCALITY, "2026").get("violations_flagged")


def test_a_third_transfer_flags_the_case_once(runtime):
    history = passed_around(4)  # the fourth transfer confirms it: still one flag
    third = transfers_of(history)[2]
    consume(runtime, history.submitted, *history.events)
    [flag] = flags(runtime)
    assert (flag.kind, flag.case_id, flag.step) == (REPEATED_TRANSFERS, history.case.id, "transfer@3")
    assert (flag.raised_by, flag.raised_at, flag.unit_code) == (third.id, third.time, "van-hoa")
    assert flag.units == ("dia-chinh", "kinh-te", "van-hoa", "dia-chinh")
    [event] = told(runtime)
    assert event.type == "vn.giaitrinh.violation.flagged.v1" and event.key == history.request_id
    assert event.data["kind"] == "repeated_transfers" and event.data["units"] == list(flag.units)
    assert (event.follows, event.data["tracking_code"]) == (third.id, history.case.tracking_code)
    assert violations_flagged(runtime) == 1


def test_two_transfers_flag_nothing(runtime):
    history = passed_around(2)
    consume(runtime, history.submitted, *history.events)
    assert flags(runtime) == [] and told(runtime) == []


def test_a_transfer_delivered_twice_or_told_again_under_another_id_is_one_transfer(runtime):
    history = passed_around(3)
    first, second, third = transfers_of(history)
    second_again = CloudEvent.from_json(second.to_json().replace(second.id.encode(), str(uuid.uuid4()).encode()))
    before_third = history.events[:history.events.index(third)]
    consume(runtime, history.submitted, *before_third, second, second_again)
    assert flags(runtime) == []  # still two transfers: the same version told thrice
    consume(runtime, third, third)
    consume(runtime, third)
    assert len(flags(runtime)) == 1 and len(told(runtime)) == 1 and violations_flagged(runtime) == 1


def test_transfers_applied_out_of_order_raise_the_flag_the_case_order_raises(runtime, bus, sqlite_url):
    history = passed_around(4)
    first, second, third, fourth = transfers_of(history)
    earlier = history.events[:history.events.index(first)]
    apply_directly(runtime, [*earlier, second, fourth, third, first])  # 2, 4, 3: flagged by the 4th ...
    in_order = migrated_runtime("scoring", sqlite_url("transfers-in-order"), bus)
    try:
        apply_directly(in_order, [*earlier, first, second, third, fourth])
        [flag] = flags(runtime)
        assert flag == flags(in_order)[0]  # ... then the 1st arrives: the 3rd raises it, as in order
        assert (flag.raised_by, flag.units) == (third.id, ("dia-chinh", "kinh-te", "van-hoa", "dia-chinh"))
        assert len(told(runtime)) == 1 and violations_flagged(runtime) == violations_flagged(in_order) == 1
    finally:
        in_order.close()


def test_the_flag_names_the_official_who_had_the_case_in_the_unit_that_passed_it_on(runtime):
    history = CaseHistory()
    history.assign(official="can-bo-1")
    history.transfer("kinh-te")
    history.transfer("van-hoa")
    history.assign("van-hoa", official="can-bo-3")
    history.transfer("tu-phap")
    consume(runtime, history.submitted, *history.events)
    [flag] = flags(runtime)
    assert (flag.unit_code, flag.official_id) == ("van-hoa", "can-bo-3")
    assert flag.units == ("dia-chinh", "kinh-te", "van-hoa", "tu-phap")


def test_the_limit_is_scorings_setting(bus, sqlite_url):
    strict = migrated_runtime("scoring", sqlite_url("strict"), bus, SCORING_TRANSFER_LIMIT="1")
    try:
        history = passed_around(2)
        consume(strict, history.submitted, *history.events)
        [flag] = flags(strict)
        assert (flag.step, flag.raised_by) == ("transfer@2", transfers_of(history)[1].id)
    finally:
        strict.close()
    assert ScoringSettings.from_env({}).transfer_limit == 2
    for wrong in ("0", "51", "hai"):
        with pytest.raises(SettingError, match="SCORING_TRANSFER_LIMIT"):
            ScoringSettings.from_env({"SCORING_TRANSFER_LIMIT": wrong})


def test_the_rule_counts_a_cases_transfers_in_its_own_order_once_each():
    history = passed_around(3)
    transfers = [t for e in transfers_of(history)
                 if (t := transfer_told_by(e.type, e.data, event_id=e.id, at=e.time)) is not None]
    assert repeated_transfers(transfers[:2] * 3) is None  # the same two, told again and again
    assert repeated_transfers(list(reversed(transfers))) == repeated_transfers(transfers)
    assert repeated_transfers(transfers, limit=3) is None


def test_supervisors_read_the_flag_with_its_units_in_the_api(bus, tmp_path):
    private, public = signing_keys(tmp_path)
    rt = migrated_runtime("scoring", f"sqlite:///{tmp_path}/api.db", bus, GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    try:
        rt.clock = lambda: NOW + 10
        history = passed_around(3)
        apply_directly(rt, [history.submitted, *history.events])
        answer = create_app(rt).test_client().get("/api/v1/flags?kind=repeated_transfers", headers=bearer(
            private, "supervisor", (LOCALITY,), body="mttq", issued_at=NOW))
        assert answer.status_code == 200, answer.json
        [item] = answer.json["items"]
        assert (item["kind"], item["step"], item["units"]) == (
            "repeated_transfers", "transfer@3", ["dia-chinh", "kinh-te", "van-hoa", "dia-chinh"])
    finally:
        rt.close()


def test_notify_tells_the_supervisors_of_repeated_transfers_naming_the_units():
    flag = violations.every_kind()["repeated_transfers"]
    [rule] = load_rules().for_event(flag.type, LOCALITY, flag.data)
    assert list(rule.to) == ["supervisors"]  # notify's one rule for every kind of flag
    renderer = TemplateRenderer("https://giaitrinh.example.vn")
    text = {}
    for language in ("vi", "en"):
        data = dict(flag.data)
        message = renderer.render(Delivery("k" * 64, flag.id, flag.type, "supervisors", "hdnd", EMAIL,
                                           template_name("supervisors", rule.template, EMAIL),
                                           {"data": data, "event": {**flag.to_dict(), "data": data}},
                                           language=language, request_id=data["request_id"],
                                           locality_code=LOCALITY))
        text[language] = (message.subject, message.body)
    code = flag.data["tracking_code"]
    assert text["vi"][0] == f"Cờ vi phạm: đùn đẩy, chuyển nhiều lần, hồ sơ {code}"
    assert "bị chuyển qua lại giữa các đơn vị 3 lần (dia-chinh → kinh-te → van-hoa → dia-chinh)" in text["vi"][1]
    assert text["en"][0] == f"Violation flagged: repeated transfers, case {code}"
    assert "transferred from unit to unit 3 times (dia-chinh → kinh-te → van-hoa → dia-chinh)" in text["en"][1]
    assert "commitment" not in text["en"][1] and "cam kết" not in text["vi"][1]
