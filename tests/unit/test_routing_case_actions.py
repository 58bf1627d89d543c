"""Officials' actions on a case through routing's service layer, on a migrated SQLite database:
each step is saved with its version, logged, and published as its contract event."""
import json
import threading
from datetime import UTC, date, datetime
from importlib import resources

import pytest
import sqlalchemy as sa

from giaitrinh_common import contracts, migrations, topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_platform.services import SERVICES
from giaitrinh_routing.domain.case import (
    CHANNELS,
    DEFAULT_CHANNEL,
    ActionNotAllowed,
    Actor,
    InvalidAction,
    NotPermitted,
    Role,
    VersionConflict,
)
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.service_layer.handlers import (
    ActOnCase,
    CaseNotFound,
    act_on_case,
    seed_localities,
)
from tests.support.factories import migrated_runtime, request_submitted

WARD = "18880"
OFFICIAL = Actor("u-1", Role.OFFICIAL, frozenset({WARD}), "dia-chinh")  # land goes there
HEAD = Actor("u-2", Role.LOCALITY_HEAD, frozenset({WARD}))
MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)


@pytest.fixture
def routing(bus, sqlite_url):
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus)
    runtime.clock = lambda: MONDAY.timestamp()
    seed_ward(runtime)
    yield runtime
    runtime.close()


def seed_ward(runtime) -> None:
    """Phường Đồng Hới with its default units and routing rules."""
    with runtime.unit_of_work() as uow:
        seed_localities(uow, [Locality(WARD, "Phường Đồng Hới", "44", "phường")])
        uow.commit()


def open_case(runtime, **data) -> str:
    """A request arrives through routing's own consumer; return the new case's id."""
    event = request_submitted(submitted_at="2026-11-02T01:00:00+00:00", kind="accountability_request",
                              **data)
    with runtime.unit_of_work() as uow:
        assert uow.claim("routing", event)
        runtime.handlers()[event.type](event, uow)
        uow.commit()
        return uow.cases.for_request(event.subject).id


def cases_events(runtime) -> list[CloudEvent]:
    with runtime.storage.engine.connect() as conn:
        rows = conn.execute(sa.select(runtime.storage.outbox.c.payload)
                            .where(runtime.storage.outbox.c.topic == topics.CASES)
                            .order_by(runtime.storage.outbox.c.id)).scalars()
        return [CloudEvent.from_json(r) for r in rows]


def test_a_registered_case_carries_its_accept_deadline_and_rule_set(routing):
    open_case(routing)
    [registered] = cases_events(routing)
    assert registered.data["accept_by"] == "2026-11-09"
    assert registered.data["time_limits_id"] == "nd59-2019-giai-trinh"
    contracts.validate(registered)


def test_accepting_saves_the_case_logs_the_step_and_publishes_case_accepted(routing):
    case_id = open_case(routing)
    case = routing.act(ActOnCase(case_id, "accept", OFFICIAL, expected_version=0))
    assert (case.state.value, case.version, case.answer_by) == ("accepted", 1, date(2026, 11, 17))
    accepted = cases_events(routing)[-1]
    assert accepted.type == "vn.giaitrinh.case.accepted.v1"
    assert accepted.data["deadlines"] == {"accept_by": "2026-11-09", "answer_by": "2026-11-17"}
    assert accepted.data["actor"] == {"id": "u-1", "role": "official"}
    assert accepted.subject == case.request_id
    contracts.validate(accepted)
    with routing.unit_of_work() as uow:
        [step] = uow.cases.steps(case_id)
    assert (step["version"], step["action"], step["actor_id"]) == (1, "accept", "u-1")


def test_the_whole_procedure_publishes_a_valid_event_per_step(routing):
    case_id = open_case(routing)
    steps = [("accept", {}), ("extend", {"days": 5, "reason": "Phức tạp"}),
             ("suspend", {"reason": "Chờ giám định"}), ("resume", {}),
             ("answer", {"explanation": "Đã xác minh…", "legal_basis": "Luật Đất đai 2024",
                         "commitments": [{"content": "Cắm lại mốc", "due_on": "2026-12-20"}]}),
             ("close", {})]
    for action, params in steps:
        routing.act(ActOnCase(case_id, action, OFFICIAL, params))
    events = cases_events(routing)
    assert [e.type.split(".")[3] for e in events] == [
        "registered", "accepted", "extended", "suspended", "resumed", "answered", "closed"]
    for event in events:
        contracts.validate(event)
    assert events[5].data["details"]["commitments"][0]["content"] == "Cắm lại mốc"
    with routing.unit_of_work() as uow:
        [commitment] = uow.cases.commitments_of(case_id)
        assert [s["version"] for s in uow.cases.steps(case_id)] == [1, 2, 3, 4, 5, 6]
    assert commitment["due_on"] == date(2026, 12, 20) and commitment["status"] == "open"


def test_an_action_the_state_does_not_allow_changes_nothing(routing):
    case_id = open_case(routing)
    with pytest.raises(ActionNotAllowed):
        routing.act(ActOnCase(case_id, "close", OFFICIAL))
    assert len(cases_events(routing)) == 1
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).version == 0 and uow.cases.steps(case_id) == []


def test_a_second_extension_is_refused_and_nothing_changes(routing):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))
    routing.act(ActOnCase(case_id, "extend", OFFICIAL, {"days": 3, "reason": "Phức tạp"}))
    with pytest.raises(InvalidAction) as caught:
        routing.act(ActOnCase(case_id, "extend", OFFICIAL, {"days": 3, "reason": "Lần hai"}))
    assert caught.value.problems[0].code == "already_extended"
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).version == 2


@pytest.mark.parametrize("params, field", [
    ({"days": "five", "reason": "x"}, "days"), ({"days": True, "reason": "x"}, "days"),
    ({"days": 3, "reason": 7}, "reason"),
])
def test_parameters_of_the_wrong_type_are_named(routing, params, field):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))
    with pytest.raises(InvalidAction) as caught:
        routing.act(ActOnCase(case_id, "extend", OFFICIAL, params))
    assert caught.value.problems[0].field == field


def test_a_stale_version_is_a_conflict_not_a_lost_update(routing):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL, expected_version=0))
    with pytest.raises(VersionConflict):
        routing.act(ActOnCase(case_id, "answer", OFFICIAL,
                              {"explanation": "x", "legal_basis": "y"}, expected_version=0))


def test_two_officials_acting_at_once_one_wins_the_other_gets_a_conflict(routing):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor, params):
        try:
            with routing.unit_of_work() as uow:
                case = uow.cases.get(case_id)
                barrier.wait(5)  # both have read version 1
                cmd = ActOnCase(case_id, "transfer", actor, params, expected_version=case.version)
                act_on_case(cmd, uow, routing.rules, routing.calendar, MONDAY)
                uow.commit()
                outcomes.append("won")
        except VersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=act, args=(OFFICIAL, {"to_unit": "tu-phap", "reason": "a"})),
               threading.Thread(target=act, args=(HEAD, {"to_unit": "van-hoa", "reason": "b"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "won"]
    with routing.unit_of_work() as uow:
        case = uow.cases.get(case_id)
        assert case.version == 2 and [s["version"] for s in uow.cases.steps(case_id)] == [1, 2]
    assert [e.type for e in cases_events(routing)].count("vn.giaitrinh.case.transferred.v1") == 1


def test_another_localitys_case_is_not_found_rather_than_forbidden(routing):
    case_id = open_case(routing)
    stranger = Actor("u-9", Role.LOCALITY_HEAD, frozenset({"99999"}))
    with pytest.raises(CaseNotFound):
        routing.act(ActOnCase(case_id, "accept", stranger))
    with pytest.raises(CaseNotFound):  # not a version conflict, which would tell it exists
        routing.act(ActOnCase(case_id, "accept", stranger, expected_version=7))
    with pytest.raises(NotPermitted):
        routing.act(ActOnCase(case_id, "accept", Actor("s", Role.SUPERVISOR, frozenset({WARD}))))


def test_an_unknown_action_or_case_is_refused(routing):
    with pytest.raises(InvalidAction):
        routing.act(ActOnCase("c", "explode", OFFICIAL))
    with pytest.raises(CaseNotFound):
        routing.act(ActOnCase("no-such-case", "accept", OFFICIAL))


def test_step_details_are_stored_as_json(routing):
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "refuse", OFFICIAL, {"ground": "other_agency", "reason": "r",
                                                        "refer_to": "Sở Tài nguyên và Môi trường"}))
    with routing.storage.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT details FROM case_steps")).scalar_one()
    assert json.loads(raw)["refer_to"] == "Sở Tài nguyên và Môi trường"


# -- the channel a request came by (kênh tiếp nhận) -------------------------------------------------
def test_a_case_keeps_the_channel_its_request_came_by(routing):
    by_hotline, by_api = open_case(routing, channel="hotline"), open_case(routing, channel="api")
    with routing.unit_of_work() as uow:
        assert (uow.cases.get(by_hotline).channel, uow.cases.get(by_api).channel) == ("hotline", "api")


def test_routing_knows_every_channel_a_submitted_request_may_name_and_no_other():
    schema = json.loads(resources.files(contracts).joinpath(
        "schemas", "vn.giaitrinh.request.submitted.v1.json").read_text("utf-8"))
    assert sorted(CHANNELS) == sorted(schema["properties"]["channel"]["enum"])
    assert DEFAULT_CHANNEL in CHANNELS


def test_cases_registered_before_the_channel_was_kept_read_portal(sqlite_url):
    url, package = sqlite_url("routing-before-channels"), SERVICES["routing"].package
    migrations.upgrade(package, url, "0009_merge")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO cases (id, request_id, tracking_code, kind, field, locality_code, "
                             "state, registered_at) VALUES ('c-1', 'r-1', 'GT-7X9V-FH1S-T', 'feedback', "
                             "'land', :ward, 'received', '2026-11-02 01:00:00')"), {"ward": WARD})
    migrations.upgrade(package, url, "0010_case_channel")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT channel FROM cases")).scalar_one() == "portal"
    engine.dispose()
