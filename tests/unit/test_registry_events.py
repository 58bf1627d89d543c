"""Routing's registry is the one source of which localities are served, their units, the
staff accounts and the publishers: each change publishes its event on giaitrinh.registry.v1,
intake and scoring keep their copies from those events, and what the registry does not serve
is refused — at intake's door and, should it slip by, dead-lettered by routing with the reason.
The requester's withdrawal and dispute in intake become the case's actions in routing."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.adapters.publisher_keys import SqlPublisherKeys
from giaitrinh_intake.service_layer import publishers
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.domain.registry import RoutingRule
from giaitrinh_routing.entrypoints.auth import account_service
from giaitrinh_routing.entrypoints.web import create_app
from giaitrinh_routing.service_layer.handlers import seed_localities
from tests.support.factories import (
    INBOUND_PUBLISHER,
    inbound_feedback,
    migrated_runtime,
    publisher_changed,
    request_submitted,
    served_province,
    teach_registry,
)
from tests.support.signed_in import bearer, signing_keys
from tests.support.waiting import consume_until

WARD, OTHER_WARD = "18880", "19000"  # Phường Đồng Hới, Phường Đồng Thuận (Quảng Trị)
NOT_SEEDED = "70"  # Phường Hoàn Kiếm (Hà Nội): in the official list, not seeded here
LOCALITY_CHANGED = "vn.giaitrinh.locality.changed.v1"


@pytest.fixture
def keys(tmp_path):
    return signing_keys(tmp_path)


@pytest.fixture
def routing(bus, sqlite_url, keys):
    rt = migrated_runtime("routing", sqlite_url("routing"), bus,
                          ROUTING_AUTH_PRIVATE_KEY=str(keys[0]), GIAITRINH_AUTH_PUBLIC_KEY=str(keys[1]))
    with rt.unit_of_work() as uow:
        seed_localities(uow, [Locality(WARD, "Phường Đồng Hới", "44", "phường"),
                              Locality(OTHER_WARD, "Phường Đồng Thuận", "44", "phường")], now=rt.now())
        uow.commit()
    yield rt
    rt.close()


@pytest.fixture
def intake(bus, sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), bus, learn_registry=False)
    yield rt
    rt.close()


@pytest.fixture
def scoring(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring"), bus)
    yield rt
    rt.close()


def registry_events(rt, type_: str | None = None) -> list[CloudEvent]:
    """What routing has published on the registry stream (its outbox relayed first, by one
    relay per runtime: a second one would wait for the first one's lease)."""
    if not hasattr(rt, "test_relay"):
        rt.test_relay = rt.worker().relay
    rt.test_relay.relay_all()
    found = [CloudEvent.from_json(r.value) for r in rt.bus.records(topics.REGISTRY)]
    return [e for e in found if type_ is None or e.type == type_]


def send(bus, topic: str, *events: CloudEvent) -> None:
    publisher = bus.publisher()
    for event in events:
        publisher.publish(topic, event.key, event.to_json())
    publisher.flush()


def latest(events: list[CloudEvent], subject: str) -> CloudEvent:
    return [e for e in events if e.subject == subject][-1]


def admin_headers(keys) -> dict[str, str]:
    return bearer(keys[0], "provincial_admin", (), subject="admin-1", name="Quản trị tỉnh")


# -- routing publishes ----------------------------------------------------------------------------
def test_seeding_serves_each_locality_and_publishes_it_with_its_units_and_their_fields(routing):
    event = latest(registry_events(routing, LOCALITY_CHANGED), WARD)
    d = event.data
    assert (d["locality_code"], d["served"], d["province_name"]) == (WARD, True, "Quảng Trị")
    assert d["division_type"] == "phường"
    by_unit = {u["code"]: u["fields"] for u in d["units"]}
    assert by_unit["dia-chinh"] == ["land", "construction"] and "other" in by_unit["van-phong"]
    assert by_unit["hdnd"] == []  # a supervising body handles no field
    assert event.subject == WARD  # keyed by the locality, not by a request


def test_enabling_a_locality_over_the_api_registers_it_from_the_official_list_and_publishes_it(routing, keys):
    client = create_app(routing).test_client()
    resp = client.post(f"/api/v1/localities/{NOT_SEEDED}/enable", headers=admin_headers(keys))
    assert resp.status_code == 200 and resp.get_json()["served"] is True
    assert len(resp.get_json()["units"]) == 10
    assert latest(registry_events(routing, LOCALITY_CHANGED), NOT_SEEDED).data["served"] is True
    resp = client.post(f"/api/v1/localities/{NOT_SEEDED}/disable", headers=admin_headers(keys))
    assert resp.get_json()["served"] is False
    assert latest(registry_events(routing, LOCALITY_CHANGED), NOT_SEEDED).data["served"] is False
    assert client.get(f"/api/v1/localities/{NOT_SEEDED}").get_json()["served"] is False


def test_only_the_provincial_admin_enables_a_locality_and_a_code_not_in_the_official_list_is_404(routing, keys):
    client = create_app(routing).test_client()
    assert client.post(f"/api/v1/localities/{NOT_SEEDED}/enable").status_code == 401
    resp = client.post("/api/v1/localities/999999/enable", headers=admin_headers(keys))
    assert resp.status_code == 404 and resp.get_json()["error"]["message"]["vi"]


def test_a_rule_or_unit_change_publishes_the_locality_again_with_the_fields_moved(routing, keys):
    routing.set_rule(RoutingRule(WARD, "land", "kinh-te"), "admin-1")
    by_unit = {u["code"]: u["fields"] for u in latest(registry_events(routing, LOCALITY_CHANGED), WARD).data["units"]}
    assert "land" in by_unit["kinh-te"] and "land" not in by_unit["dia-chinh"]
    client = create_app(routing).test_client()
    resp = client.put(f"/api/v1/localities/{WARD}/units/kinh-te", headers=admin_headers(keys),
                      json={"name": "Phòng Kinh tế", "active": False})
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    units = {u["code"]: u["fields"] for u in latest(registry_events(routing, LOCALITY_CHANGED), WARD).data["units"]}
    assert "kinh-te" not in units  # inactive: gone from what intake offers
    assert "land" in units["van-phong"]  # its fields fall back to the People's Committee office


def test_a_bad_rule_over_the_api_is_422_naming_the_field_and_publishes_nothing(routing, keys):
    before = len(registry_events(routing))
    resp = create_app(routing).test_client().put(f"/api/v1/localities/{WARD}/rules/land",
                                                 headers=admin_headers(keys), json={"unit_code": "hdnd"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"][0]["field"] == "unit_code"
    assert len(registry_events(routing)) == before


def test_a_bad_unit_over_the_api_is_422_naming_its_field_in_both_languages(routing, keys):
    resp = create_app(routing).test_client().put(f"/api/v1/localities/{WARD}/units/Sai-Ma!",
                                                 headers=admin_headers(keys), json={"name": "Tổ môi trường"})
    assert resp.status_code == 422
    [problem] = resp.get_json()["error"]["details"]
    assert (problem["field"], problem["code"]) == ("code", "invalid_code")
    assert problem["message"]["vi"].startswith("Mã đơn vị gồm 1–40 ký tự")
    assert problem["message"]["en"].startswith("1–40 lowercase letters")


def test_accounts_publish_their_role_and_localities_when_opened_and_when_disabled_never_a_secret(routing):
    service = account_service(routing)
    service.add(login="can.bo.an", display_name="Nguyễn Văn An", role="official", localities={WARD},
                unit_code="dia-chinh", body=None, password="mật-khẩu đủ dài 2026")
    opened = latest(registry_events(routing, "vn.giaitrinh.account.changed.v1"), service.accounts()[0][0].id)
    assert (opened.data["role"], opened.data["localities"], opened.data["unit_code"], opened.data["active"]) == \
        ("official", [WARD], "dia-chinh", True)
    service.set_disabled("can.bo.an", True)
    events = registry_events(routing, "vn.giaitrinh.account.changed.v1")
    assert events[-1].data["active"] is False
    assert not any(word in json.dumps([e.data for e in events]) for word in ("password", "argon2", "totp"))


def test_a_publisher_travels_as_its_keys_sha256_and_the_key_never_leaves_routing(routing):
    service = account_service(routing)
    key, secret = service.add_api_key("hotline-1022", {WARD})
    event = registry_events(routing, "vn.giaitrinh.publisher.changed.v1")[-1]
    assert event.data["key_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(event.data)
    service.set_api_key_disabled("hotline-1022", True)
    assert registry_events(routing, "vn.giaitrinh.publisher.changed.v1")[-1].data["active"] is False


# -- intake and scoring learn it -----------------------------------------------------------------
def test_intake_serves_exactly_the_localities_the_registry_published(routing, intake):
    assert intake.localities.get(WARD) is None  # nothing is served before the registry says so
    routing.set_locality_served(NOT_SEEDED, True, "admin-1")
    registry_events(routing)
    consume_until(intake.consumer(), lambda: intake.localities.get(NOT_SEEDED), timeout=10)
    assert {loc.code for loc in intake.localities.all()} == {WARD, OTHER_WARD, NOT_SEEDED}
    assert "land" in intake.localities.fields_of(WARD)
    routing.set_locality_served(OTHER_WARD, False, "admin-1")
    registry_events(routing)
    consume_until(intake.consumer(), lambda: intake.localities.get(OTHER_WARD) is None, timeout=10)


def test_an_older_locality_event_does_not_undo_a_newer_one(intake):
    served, = [e for e in served_province("44", at=datetime(2026, 11, 2, tzinfo=UTC)) if e.subject == WARD]
    older = CloudEvent.new(type=LOCALITY_CHANGED, source="/tests", subject=WARD, locality=WARD,
                           time=datetime(2026, 11, 1, tzinfo=UTC),
                           data={**served.data, "served": False, "changed_at": "2026-11-01T00:00:00+00:00"})
    teach_registry(intake, [served, older])
    assert intake.localities.get(WARD) is not None


def test_scoring_keeps_the_served_localities_and_their_units(routing, scoring):
    registry_events(routing)
    consume_until(scoring.consumer(), lambda: _scoring_knows(scoring, WARD), timeout=10)


def _scoring_knows(scoring, code: str) -> bool:
    from giaitrinh_scoring.adapters.localities import SqlRegistry
    with scoring.unit_of_work() as uow:
        return any(r["code"] == code and r["units"] for r in SqlRegistry(uow.session).served())


# -- publishers checked against intake's copy --------------------------------------------------
def test_a_publishers_key_is_verified_by_its_hash_and_its_localities(intake):
    teach_registry(intake, [*served_province("44"), publisher_changed(api_key="k" * 40, localities=frozenset({WARD}))])
    keys = SqlPublisherKeys(intake.storage.engine)
    assert publishers.verify(keys, "k" * 40, WARD).name == INBOUND_PUBLISHER
    assert publishers.verify(keys, "k" * 40, OTHER_WARD) is None  # not one of its localities
    assert publishers.verify(keys, "x" * 40, WARD) is None
    teach_registry(intake, [publisher_changed(api_key="k" * 40, active=False,
                                              at=datetime(2026, 11, 2, tzinfo=UTC))])
    assert publishers.verify(keys, "k" * 40, WARD) is None  # disabled in the registry


def test_inbound_feedback_from_a_system_the_registry_does_not_know_is_dead_lettered_with_the_reason(intake, bus):
    teach_registry(intake, served_province("44"))
    send(bus, topics.INBOUND, inbound_feedback("HL-9", source_system="unknown-system"))
    dlq = topics.dead_letter_topic(topics.INBOUND, "intake")
    consume_until(intake.consumer(), lambda: bus.records(dlq), timeout=10)
    [dead] = bus.records(dlq)
    assert dead.header("x-dlq-reason") == "rejected"
    assert "'unknown-system' is not registered" in dead.header("x-dlq-detail")


# -- routing refuses what the registry does not serve -----------------------------------------
def test_a_request_for_a_locality_the_registry_does_not_serve_is_dead_lettered_with_the_reason(routing, bus):
    send(bus, topics.REQUESTS, request_submitted(locality_code=NOT_SEEDED))
    dlq = topics.dead_letter_topic(topics.REQUESTS, "routing")
    consume_until(routing.consumer(), lambda: bus.records(dlq), timeout=10)
    [dead] = bus.records(dlq)
    assert dead.header("x-dlq-reason") == "rejected"
    assert f"locality '{NOT_SEEDED}' is not in the registry" in dead.header("x-dlq-detail")
    with routing.unit_of_work() as uow:
        assert uow.cases.count() == 0


def test_a_request_for_a_disabled_locality_is_dead_lettered_as_not_served(routing, bus):
    routing.set_locality_served(WARD, False, "admin-1")
    send(bus, topics.REQUESTS, request_submitted(locality_code=WARD))
    dlq = topics.dead_letter_topic(topics.REQUESTS, "routing")
    consume_until(routing.consumer(), lambda: bus.records(dlq), timeout=10)
    assert "not served" in bus.records(dlq)[0].header("x-dlq-detail")


# -- the requester's actions from intake ----------------------------------------------------------
def _requester_event(kind: str, submitted: CloudEvent, **data) -> CloudEvent:
    d = submitted.data
    at = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    body = {"request_id": d["request_id"], "tracking_code": d["tracking_code"],
            "locality_code": d["locality_code"], f"{kind}_at": at, **data}
    return CloudEvent.new(type=f"vn.giaitrinh.request.{kind}.v1", source="/giaitrinh/intake",
                          subject=d["request_id"], locality=d["locality_code"], data=body,
                          time=datetime.now(UTC))


def test_the_requesters_withdrawal_in_intake_withdraws_the_case_as_the_requester(routing, bus):
    submitted = request_submitted(locality_code=WARD)
    send(bus, topics.REQUESTS, submitted, _requester_event("withdrawn", submitted, reason="Đã được giải quyết"))

    def withdrawn():
        with routing.unit_of_work() as uow:
            case = uow.cases.for_request(submitted.subject)
            return case is not None and case.state.value == "withdrawn" and uow.cases.steps(case.id)
    steps = consume_until(routing.consumer(), withdrawn, timeout=10)
    assert (steps[-1]["action"], steps[-1]["actor_role"]) == ("withdraw", "requester")


def test_a_dispute_the_case_cannot_take_now_is_dead_lettered_with_the_reason(routing, bus):
    submitted = request_submitted(locality_code=WARD)
    send(bus, topics.REQUESTS, submitted, _requester_event("disputed", submitted, reason="Chưa thỏa đáng"))
    dlq = topics.dead_letter_topic(topics.REQUESTS, "routing")
    consume_until(routing.consumer(), lambda: bus.records(dlq), timeout=10)
    assert "cannot take 'dispute'" in bus.records(dlq)[0].header("x-dlq-detail")


# -- the provincial admin's command line ----------------------------------------------------------
def test_localities_are_enabled_and_disabled_from_the_command_line_and_published(routing):
    from click.testing import CliRunner

    from giaitrinh_platform.cli import main

    env = {"ROUTING_DATABASE_URL": str(routing.storage.engine.url)}
    result = CliRunner().invoke(main, ["routing", "localities", "enable", NOT_SEEDED, "--actor", "admin-1"], env=env)
    assert result.exit_code == 0, result.output
    assert "Phường Hoàn Kiếm: served" in result.output
    result = CliRunner().invoke(main, ["routing", "localities", "disable", WARD], env=env)
    assert result.exit_code == 0, result.output
    events = registry_events(routing, LOCALITY_CHANGED)  # the CLI's events wait in routing's outbox
    assert latest(events, NOT_SEEDED).data["served"] is True and latest(events, WARD).data["served"] is False


def test_a_code_not_in_the_official_list_changes_nothing_from_the_command_line(routing):
    from click.testing import CliRunner

    from giaitrinh_platform.cli import main

    before = len(registry_events(routing))
    env = {"ROUTING_DATABASE_URL": str(routing.storage.engine.url)}
    result = CliRunner().invoke(main, ["routing", "localities", "disable", WARD, "999999"], env=env)
    assert result.exit_code != 0 and "999999" in result.output
    assert len(registry_events(routing)) == before
    with routing.unit_of_work() as uow:
        assert uow.localities.get(WARD).served is True


# -- what an admin sends is checked, never a server error ------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("PUT", f"/api/v1/localities/{WARD}/units/kinh-te"), ("PUT", f"/api/v1/localities/{WARD}/units/Not A Code"),
    ("PUT", f"/api/v1/localities/{WARD}/rules/land"), ("POST", "/api/v1/publishers"),
    ("POST", "/api/v1/localities/x%00/enable"), ("POST", "/api/v1/publishers/nobody/disable")])
def test_any_body_an_admin_sends_to_the_registry_gets_an_answer_or_a_bilingual_4xx(routing, keys, method, path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = create_app(routing).test_client()
    text = st.text(max_size=12) | st.sampled_from(["kinh-te", "hdnd", "van-phong", WARD, "hotline-1022", ""])
    values = st.recursive(st.none() | st.booleans() | st.integers() | text,
                          lambda inner: st.lists(inner, max_size=3), max_leaves=6)
    bodies = st.fixed_dictionaries({}, optional={k: values for k in (
        "name", "kind", "active", "unit_code", "official_id", "localities", "extra")})

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=bodies)
    def check(body):
        resp = client.open(path, method=method, json=body, headers=admin_headers(keys))
        assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
        if resp.status_code >= 400:
            error = resp.get_json()["error"]
            assert error["message"]["vi"] and error["message"]["en"]
            assert all(d["field"] and d["message"]["vi"] for d in error.get("details", []))
    check()
