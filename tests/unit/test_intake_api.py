"""Intake's JSON API through Flask's test client (in-memory bus, migrated SQLite)."""
import pytest

from giaitrinh_common import topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.envelope import CloudEvent
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
    client.post("/api/v1/requests", json={**VALID, "email": "c@example.vn", "wants_notifications": True})
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    assert CloudEvent.from_json(record.value).data["contact"] == {"email": "c@example.vn"}


def test_an_invalid_request_lists_every_problem_in_both_languages_and_stores_nothing(client, runtime):
    resp = client.post("/api/v1/requests", json={"kind": "accountability_request", "locality_code": "1"})
    assert resp.status_code == 422
    error = resp.json["error"]
    assert error["message"]["vi"] and error["message"]["en"]
    assert {d["field"] for d in error["details"]} >= {"locality_code", "title", "content", "full_name"}
    assert runtime.storage.outbox_backlog() == 0


@pytest.mark.parametrize("kwargs, status, code", [
    ({"data": "kind=feedback"}, 415, "unsupported_media_type"),
    ({"data": "{oops", "content_type": "application/json"}, 400, "malformed_json"),
    ({"json": [1, 2]}, 400, "not_an_object"),
    ({"json": {**VALID, "title": 5}}, 400, "wrong_type"),
])
def test_a_body_that_is_not_a_json_object_gets_a_clear_4xx(client, kwargs, status, code):
    resp = client.post("/api/v1/requests", **kwargs)
    assert resp.status_code == status
    assert resp.json["error"]["code"] == code


def test_looking_up_a_mistyped_or_unknown_tracking_code_says_which(client):
    assert client.get("/api/v1/requests/hello").json["error"]["code"] == "invalid_tracking_code"
    resp = client.get("/api/v1/requests/GT-0000-0000-0")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "unknown_tracking_code"


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
