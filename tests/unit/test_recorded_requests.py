"""Tiếp nhận trực tiếp: an official records a request a person made directly, by hotline, at a
voter meeting or by mail, through the submission's own path — with the channel it came by and
the official who received it (from their token, never from the body), only for a locality
they serve, retried safely with an Idempotency-Key."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common import auth, topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.contracts import validate
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.adapters.orm import requests
from giaitrinh_intake.entrypoints.web import create_app
from tests.support import signed_in
from tests.support.factories import migrated_runtime

WARD, OTHER_WARD = "18880", "19000"
HOTLINE_CALL = {"kind": "feedback", "field": "environment", "locality_code": WARD, "channel": "hotline",
                "title": "Rác thải", "content": "Người gọi báo rác đổ trộm bên bờ sông Nhật Lệ.",
                "phone": "0912 345 678", "wants_notifications": True}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return signed_in.signing_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def runtime(sqlite_url, keys):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus(), GIAITRINH_AUTH_PUBLIC_KEY=str(keys[1]))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


@pytest.fixture
def bearer(keys):
    def make(account="acc-hotline", role=auth.OFFICIAL, localities=(WARD,)) -> dict[str, str]:
        return signed_in.bearer(keys[0], role, localities, subject=account, name=f"Cán bộ {account}")
    return make


def _problems(resp) -> set[tuple[str, str]]:
    assert resp.status_code == 422, resp.json
    assert set(resp.json["error"]["message"]) == {"vi", "en"}
    return {(d["field"], d["code"]) for d in resp.json["error"]["details"]}


def test_an_official_records_a_hotline_call_with_its_channel_and_themselves_as_receiver(client, runtime, bearer):
    resp = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers=bearer())
    assert resp.status_code == 201, resp.json
    code = resp.json["tracking_code"]
    assert resp.headers["Location"] == f"/api/v1/requests/{code}"
    assert resp.json["requester_link"]  # for the official to hand to the caller, once
    with runtime.storage.engine.connect() as conn:
        row = conn.execute(sa.select(requests).where(requests.c.tracking_code == code)).mappings().one()
    assert (row["channel"], row["received_by"], row["received_on"]) == ("hotline", "acc-hotline", None)
    assert client.get(resp.headers["Location"]).json["status"] == "submitted"


def test_the_submitted_event_names_the_channel_and_the_receiving_official_and_no_more_personal_data(
        client, runtime, bearer):
    today = datetime.now(UTC).date() - timedelta(days=1)
    client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "received_on": today.isoformat()},
                headers=bearer())
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    event = CloudEvent.from_json(record.value)
    validate(event)
    assert event.data["channel"] == "hotline" and event.data["received_by"] == "acc-hotline"
    assert event.data["received_on"] == today.isoformat()
    # The caller's contact only as any requester's: because they asked to be told.
    assert set(event.data["contact"]) == {"phone", "requester_link"}
    assert "full_name" not in event.data and "address" not in event.data


def test_a_portal_submission_names_no_receiving_official(client, runtime):
    body = {k: v for k, v in HOTLINE_CALL.items() if k != "channel"}
    assert client.post("/api/v1/requests", json=body).status_code == 201
    runtime.worker().relay.relay_all()
    [record] = runtime.bus.records(topics.REQUESTS)
    assert "received_by" not in CloudEvent.from_json(record.value).data


def test_without_a_token_nobody_records_a_request(client):
    resp = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL)
    assert resp.status_code == 401
    assert set(resp.json["error"]["message"]) == {"vi", "en"}


def test_an_official_records_only_for_a_locality_they_serve(client, runtime, bearer):
    resp = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers=bearer(localities=(OTHER_WARD,)))
    assert resp.status_code == 403
    assert resp.json["error"]["details"][0]["field"] == "locality_code"
    assert runtime.storage.outbox_backlog() == 0


def test_a_provincial_admin_records_for_any_locality(client, bearer):
    resp = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL,
                       headers=bearer(role=auth.PROVINCIAL_ADMIN, localities=()))
    assert resp.status_code == 201


@pytest.mark.parametrize("channel", ["fax", "portal", "api", "open311", "external_system", ""])
def test_only_the_four_staff_channels_are_accepted(client, bearer, channel):
    resp = client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "channel": channel}, headers=bearer())
    assert _problems(resp) == {("channel", "invalid_choice")}


def test_a_channel_that_is_not_text_is_named_once(client, bearer):
    resp = client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "channel": 7}, headers=bearer())
    assert _problems(resp) == {("channel", "wrong_type")}


@pytest.mark.parametrize("channel", ["direct", "hotline", "voter_meeting", "mail"])
def test_every_staff_channel_is_recorded(client, bearer, channel):
    resp = client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "channel": channel}, headers=bearer())
    assert resp.status_code == 201 and resp.json["channel"] == channel


def test_a_receiving_official_named_in_the_body_is_refused(client, runtime, bearer):
    resp = client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "received_by": "acc-someone-else"},
                       headers=bearer())
    assert _problems(resp) == {("received_by", "unknown_field")}
    assert runtime.storage.outbox_backlog() == 0


@pytest.mark.parametrize("day", ["tomorrow", "2026-02-30", "28/11/2026", "20261128"])
def test_the_day_received_is_a_date_not_after_today(client, bearer, day):
    if day == "tomorrow":
        day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    resp = client.post("/api/v1/recorded-requests", json={**HOTLINE_CALL, "received_on": day}, headers=bearer())
    assert len(_problems(resp)) == 1 and next(iter(_problems(resp)))[0] == "received_on"


def test_the_same_idempotency_key_twice_records_one_request(client, runtime, bearer):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers={**bearer(), **key})
    again = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers={**bearer(), **key})
    assert first.status_code == again.status_code == 201
    assert again.json["tracking_code"] == first.json["tracking_code"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert runtime.storage.outbox_backlog() == 1


# -- the console's form (/console/tiep-nhan) -------------------------------------------------------
def _csrf(client) -> str:
    client.set_cookie(auth.CSRF_COOKIE, "c" * 43)
    return "c" * 43


def test_the_console_form_offers_only_the_officials_localities_and_the_four_channels(client, bearer):
    resp = client.get("/console/tiep-nhan", headers=bearer())
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f'value="{WARD}"' in page and f'value="{OTHER_WARD}"' not in page
    assert all(f'value="{c}"' in page for c in ("direct", "hotline", "voter_meeting", "mail"))
    assert 'value="portal"' not in page


def test_the_console_form_records_the_request_and_shows_the_link_once(client, runtime, bearer):
    form = {**{k: v for k, v in HOTLINE_CALL.items() if k != "wants_notifications"},
            "channel": "voter_meeting", "requester_type": "citizen", "csrf_token": _csrf(client)}
    resp = client.post("/console/tiep-nhan", data=form, headers=bearer(account="acc-meeting"))
    assert resp.status_code == 201
    page = resp.get_data(as_text=True)
    with runtime.storage.engine.connect() as conn:
        row = conn.execute(sa.select(requests)).mappings().one()
    assert (row["channel"], row["received_by"]) == ("voter_meeting", "acc-meeting")
    assert row["tracking_code"] in page and "/cua-toi/" in page


def test_the_console_form_shows_every_problem_beside_its_field(client, runtime, bearer):
    form = {**HOTLINE_CALL, "channel": "portal", "title": "", "csrf_token": _csrf(client)}
    resp = client.post("/console/tiep-nhan", data=form, headers=bearer())
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="field-channel-error"' in page and 'id="field-title-error"' in page
    assert runtime.storage.outbox_backlog() == 0


def test_the_console_form_refuses_a_locality_the_official_does_not_serve(client, runtime, bearer):
    form = {**HOTLINE_CALL, "csrf_token": _csrf(client)}
    resp = client.post("/console/tiep-nhan", data=form, headers=bearer(localities=(OTHER_WARD,)))
    assert resp.status_code == 403
    assert runtime.storage.outbox_backlog() == 0


def test_two_officials_using_the_same_idempotency_key_record_two_requests(client, runtime, bearer):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers={**bearer("acc-a"), **key})
    other = client.post("/api/v1/recorded-requests", json=HOTLINE_CALL, headers={**bearer("acc-b"), **key})
    assert first.status_code == other.status_code == 201
    assert other.json["tracking_code"] != first.json["tracking_code"]  # never the other's secret link
    assert "Idempotent-Replayed" not in other.headers
