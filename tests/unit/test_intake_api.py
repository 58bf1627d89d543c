"""Intake's JSON API through Flask's test client (in-memory bus, migrated SQLite)."""
import pytest

from giaitrinh_common import topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.domain.validation import TEXT_LIMITS
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import migrated_runtime

VALID = {"kind": "feedback", "field": "environment", "locality_code": "18880",
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}


@pytest.fixture
def runtime(sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


def test_a_valid_request_gets_a_tracking_code_and_a_place_to_follow_it(client, runtime):
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201
    code = resp.json["tracking_code"]
    assert resp.headers["Location"] == f"/api/v1/requests/{code}"
    public = client.get(resp.headers["Location"]).json
    assert public["status"] == "submitted"
    assert public["locality"] == {"code": "18880", "name": "Phường Đồng Hới"}
    assert public["timeline"][0]["label"]["vi"] == "Đã tiếp nhận yêu cầu"


def test_the_submitted_event_waits_in_the_outbox_in_the_same_transaction(client, runtime):
    client.post("/api/v1/requests", json=VALID)
    assert runtime.storage.outbox_backlog() == 1
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    event = CloudEvent.from_json(record.value)
    assert event.type == "vn.giaitrinh.request.submitted.v1" and event.locality == "18880"


def test_the_callers_trace_id_travels_in_the_event_and_comes_back_in_the_response(client, runtime):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    resp = client.post("/api/v1/requests", json=VALID,
                       headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert resp.headers["X-Trace-Id"] == trace
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    assert CloudEvent.from_json(record.value).traceid == trace


def test_without_a_trace_id_one_is_made_and_given_back(client, runtime):
    resp = client.post("/api/v1/requests", json=VALID, headers={"X-Trace-Id": "bad id!"})
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    made = CloudEvent.from_json(record.value).traceid
    assert resp.headers["X-Trace-Id"] == made and len(made) == 32 and made != "bad id!"
    assert client.get("/healthz").headers["X-Trace-Id"]  # every answer carries one


def test_personal_data_stays_out_of_the_public_view_and_the_event_unless_allowed(client, runtime):
    body = {**VALID, "kind": "accountability_request", "full_name": "Trần Thị B",
            "address": "12 Lý Thường Kiệt", "email": "b@example.vn"}
    code = client.post("/api/v1/requests", json=body).json["tracking_code"]
    public = client.get(f"/api/v1/requests/{code}").get_data(as_text=True)
    assert "Trần Thị B" not in public and "b@example.vn" not in public
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    assert b"b@example.vn" not in record.value and "Trần Thị B".encode() not in record.value


def test_contact_travels_in_the_event_when_the_requester_asks_to_be_notified(client, runtime):
    answer = client.post("/api/v1/requests", json={**VALID, "email": "c@example.vn", "wants_notifications": True})
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    # With the secret link, so the receipt notice can carry it (the link is shown in the 201 once).
    assert CloudEvent.from_json(record.value).data["contact"] == {"email": "c@example.vn",
                                                                  "requester_link": answer.json["requester_link"]}


def test_an_invalid_request_lists_every_problem_in_both_languages_and_stores_nothing(client, runtime):
    resp = client.post("/api/v1/requests", json={"kind": "accountability_request", "locality_code": "1"})
    assert resp.status_code == 422
    error = resp.json["error"]
    assert error["message"]["vi"] and error["message"]["en"]
    assert {d["field"] for d in error["details"]} >= {"locality_code", "title", "content", "full_name"}
    assert runtime.storage.outbox_backlog() == 0


def _json(text: str) -> dict:
    return {"data": text.encode("utf-8"), "content_type": "application/json"}


@pytest.mark.parametrize("kwargs, status, code", [
    ({"data": "kind=feedback"}, 415, "unsupported_media_type"),
    ({"data": "{oops", "content_type": "application/json"}, 400, "malformed_json"),
    ({"data": b'{"title": "\xff"}', "content_type": "application/json"}, 400, "malformed_json"),
    ({"json": [1, 2]}, 400, "not_an_object"),
    (_json('{"title": NaN}'), 400, "malformed_json"),
    (_json('{"title": 1e999}'), 400, "malformed_json"),
    (_json('{"title": "a", "title": "b"}'), 400, "duplicate_field"),
    (_json("[" * 100_000 + "]" * 100_000), 400, "too_deep"),
    (_json('{"a":' * 33 + "1" + "}" * 33), 400, "too_deep"),
])
def test_a_body_that_is_not_one_json_object_gets_a_clear_4xx(client, runtime, kwargs, status, code):
    resp = client.post("/api/v1/requests", **kwargs)
    assert resp.status_code == status
    assert resp.json["error"]["code"] == code
    assert resp.json["error"]["message"]["vi"] and resp.json["error"]["message"]["en"]
    assert runtime.storage.outbox_backlog() == 0


def test_a_null_body_is_valid_json_that_is_not_an_object(client):
    resp = client.post("/api/v1/requests", **_json("null"))
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "not_an_object"
    assert "null" in resp.json["error"]["message"]["en"]


def test_nesting_up_to_the_limit_is_read(client):
    nested = '{"a":' * 31 + "1" + "}" * 31  # 32 levels with the body itself
    resp = client.post("/api/v1/requests", **_json(nested[:-1] + f', "title": "x"{"}"}'))
    assert resp.status_code == 422  # read, then refused for its fields, not for its depth
    assert "a" in {d["field"] for d in resp.json["error"]["details"]}


def test_brackets_and_escaped_backslashes_in_text_are_only_text(client):
    title = "[{" * 60 + "\\u0000 \\ud800"  # typed as text: brackets, a backslash, "u0000"
    resp = client.post("/api/v1/requests", json={**VALID, "title": title[:200]})
    assert resp.status_code == 201
    assert client.get(resp.headers["Location"]).json["title"] == title[:200]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_text_a_database_cannot_store_is_refused_naming_the_field(client, runtime, escape):
    resp = client.post("/api/v1/requests", **_json(f'{{"kind": "feedback", "title": "C{escape}", '
                                                     f'"content": "ok", "locality_code": "18880"}}'))
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "invalid_characters"
    assert [d["field"] for d in resp.json["error"]["details"]] == ["title"]
    assert resp.json["error"]["details"][0]["message"]["vi"]
    assert runtime.storage.outbox_backlog() == 0


def test_a_surrogate_pair_is_one_character_and_is_stored(client):
    resp = client.post("/api/v1/requests", **_json('{"kind": "feedback", "field": "other", '
                                                   '"locality_code": "18880", "title": "Rác \\ud83d\\uddd1", '
                                                   '"content": "x"}'))
    assert resp.status_code == 201
    assert client.get(resp.headers["Location"]).json["title"] == "Rác \U0001f5d1"


def test_a_field_name_that_cannot_be_stored_is_named_safely(client):
    resp = client.post("/api/v1/requests", **_json('{"\\ud800": "x"}'))
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["field"] == "\\ud800"


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_stored(client, runtime):
    body = {**VALID, "note": "x" * (5 * 1024 * 1024)}
    resp = client.post("/api/v1/requests", json=body)
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "too_large" and resp.json["error"]["message"]["vi"]
    assert runtime.storage.outbox_backlog() == 0


def test_the_body_limit_is_a_setting(sqlite_url):
    runtime = migrated_runtime("intake", sqlite_url("small"), InMemoryBus(), INTAKE_MAX_BODY_BYTES="300")
    try:
        client = create_app(runtime).test_client()
        assert client.post("/api/v1/requests", json=VALID).status_code == 201
        resp = client.post("/api/v1/requests", json={**VALID, "content": "x" * 300})
        assert resp.status_code == 413 and resp.json["error"]["code"] == "too_large"
    finally:
        runtime.close()


def test_wrong_types_are_reported_with_every_other_problem_each_with_its_message(client, runtime):
    resp = client.post("/api/v1/requests", json={"kind": "accountability_request", "title": 5,
                                                 "wants_notifications": "yes", "locality_code": "1"})
    assert resp.status_code == 422
    details = {(d["field"], d["code"]): d for d in resp.json["error"]["details"]}
    assert set(details) == {("title", "wrong_type"), ("wants_notifications", "wrong_type"),
                            ("locality_code", "unknown_locality"), ("content", "required"),
                            ("full_name", "required"), ("address", "required")}
    assert all(d["message"]["vi"] and d["message"]["en"] for d in details.values())
    assert runtime.storage.outbox_backlog() == 0


def test_unknown_fields_are_refused_by_name_so_nothing_is_dropped_silently(client, runtime):
    resp = client.post("/api/v1/requests", json={**VALID, "ful_name": "Nguyễn Văn A", "channel": "hotline"})
    assert resp.status_code == 422
    assert {(d["field"], d["code"]) for d in resp.json["error"]["details"]} == {
        ("ful_name", "unknown_field"), ("channel", "unknown_field")}
    assert runtime.storage.outbox_backlog() == 0


def test_a_null_field_counts_as_not_given(client):
    resp = client.post("/api/v1/requests", json={**VALID, "email": None, "full_name": None})
    assert resp.status_code == 201


@pytest.mark.parametrize("field_name, limit", sorted(
    (name, limit) for name, limit in TEXT_LIMITS.items() if name not in {"source_system", "external_id"}))
def test_every_text_field_has_a_length_limit(client, runtime, field_name, limit):
    resp = client.post("/api/v1/requests", json={**VALID, field_name: "7" * (limit + 1)})
    assert resp.status_code == 422
    assert (field_name, "too_long") in {(d["field"], d["code"]) for d in resp.json["error"]["details"]}
    assert runtime.storage.outbox_backlog() == 0


def test_a_million_character_name_is_refused_not_stored(client, runtime):
    resp = client.post("/api/v1/requests", json={**VALID, "full_name": "A" * 1_000_000})
    assert resp.status_code == 422
    assert [(d["field"], d["code"]) for d in resp.json["error"]["details"]] == [("full_name", "too_long")]
    assert runtime.storage.outbox_backlog() == 0


def test_every_field_at_its_limit_is_stored_in_full(client, runtime):
    at_limit = {"kind": "accountability_request", "field": "land", "locality_code": "18880",
                "title": "T" * TEXT_LIMITS["title"], "content": "Ư" * TEXT_LIMITS["content"],
                "full_name": "Ễ" * TEXT_LIMITS["full_name"], "address": "Đ" * TEXT_LIMITS["address"],
                "email": "a" * (TEXT_LIMITS["email"] - len("@example.vn")) + "@example.vn",
                "phone": "0" * TEXT_LIMITS["phone"], "wants_notifications": True}
    resp = client.post("/api/v1/requests", json=at_limit)
    assert resp.status_code == 201
    with runtime.unit_of_work() as uow:
        stored = uow.requests.get(resp.json["request_id"])
    assert (stored.title, stored.content) == (at_limit["title"], at_limit["content"])
    assert (stored.requester.full_name, stored.requester.address, stored.requester.email,
            stored.requester.phone) == (at_limit["full_name"], at_limit["address"], at_limit["email"],
                                        at_limit["phone"])


def test_looking_up_a_mistyped_or_unknown_tracking_code_says_which(client):
    resp = client.get("/api/v1/requests/hello")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_tracking_code"
    assert resp.json["error"]["details"][0]["code"] == "malformed"
    resp = client.get("/api/v1/requests/GT-0000-0000-0")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "unknown_tracking_code"


def test_a_wrong_check_character_is_called_a_mistyped_character_not_a_wrong_form(client):
    code = client.post("/api/v1/requests", json=VALID).json["tracking_code"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    resp = client.get(f"/api/v1/requests/{wrong}")
    assert resp.status_code == 400
    error = resp.json["error"]
    assert error["details"][0]["code"] == "wrong_check_symbol"
    assert "check character" in error["message"]["en"] and "not of the form" not in error["message"]["en"]
    assert "ký tự kiểm tra" in error["message"]["vi"].lower()


def test_a_tracking_code_is_read_as_people_type_it(client):
    code = client.post("/api/v1/requests", json=VALID).json["tracking_code"]
    typed = " " + code.lower().replace("0", "o").replace("1", "l") + " "
    assert client.get(f"/api/v1/requests/{typed}").json["tracking_code"] == code


def test_a_nul_character_in_the_address_is_refused(client):
    for url in ("/api/v1/requests/GT-%00", "/api/v1/requests/GT-0000-0000-0?x=%00"):
        resp = client.get(url)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_characters"


def test_unknown_addresses_and_methods_answer_in_both_languages(client):
    assert client.get("/no/such/page").json["error"]["message"]["vi"]
    assert client.delete("/api/v1/requests").status_code == 405


def test_health_readiness_and_metrics_are_served(client):
    assert client.get("/healthz").json == {"service": "intake", "status": "ok"}
    assert client.get("/readyz").json["checks"] == {"database": "ok"}
    client.post("/api/v1/requests", json=VALID)
    text = client.get("/metrics").get_data(as_text=True)
    assert ('giaitrinh_http_requests_total{method="POST",route="/api/v1/requests",'
            'service="intake",status="201"} 1.0') in text
