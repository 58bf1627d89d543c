"""Notify's API: the staff's inbox (unread count, list, mark read; only one's own), preferences
(statutory notices cannot be switched off), webhook subscriptions (provincial admin; a secret
shown once, rotated with an overlap), the delivery log (a locality's heads, 404 for another
locality's), the OpenAPI document checked against the routes and the answers — and what an
adversary sends: huge, deep, wrong types, another person's inbox, a form without its CSRF token."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from giaitrinh_common import auth, tracking_codes
from giaitrinh_common.openapi import document_problems, load_document
from giaitrinh_notify.adapters import orm
from giaitrinh_notify.adapters.in_app import InAppChannel
from giaitrinh_notify.domain.channels import EMAIL, IN_APP, SMS, OutgoingMessage
from giaitrinh_notify.domain.preferences import DEFAULT_REQUESTER_CHANNELS, requester_person, staff_person
from giaitrinh_notify.entrypoints.web import create_app
from giaitrinh_notify.service_layer import channels
from giaitrinh_notify.service_layer.handlers import tell_requester
from tests.support.factories import migrated_runtime, request_submitted
from tests.support.signed_in import Clock, signed_token, signing_keys

WARD, OTHER_WARD = "18880", "19000"
NOW = datetime(2026, 11, 28, 8, tzinfo=UTC)
CONTRACT_TYPE = "vn.giaitrinh.case.accepted.v1"


@pytest.fixture
def keys(tmp_path):
    return signing_keys(tmp_path)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def notify(bus, sqlite_url, keys, clock):
    runtime = migrated_runtime("notify", sqlite_url("notify"), bus, GIAITRINH_AUTH_PUBLIC_KEY=str(keys[1]),
                               NOTIFY_MAX_BODY_BYTES="65536")
    runtime.clock = clock
    yield runtime
    runtime.close()


@pytest.fixture
def client(notify):
    return create_app(notify).test_client()


@pytest.fixture
def token(keys, clock):
    def make(account="acc-1", role=auth.OFFICIAL, localities=(WARD,)) -> str:
        return signed_token(keys[0], role, localities, subject=account, unit_code="dia-chinh",
                            name=f"Cán bộ {account}", issued_at=clock())
    return make


@pytest.fixture
def as_user(token):
    return lambda **kw: {"Authorization": f"Bearer {token(**kw)}"}


def error(resp) -> str:
    body = resp.json["error"]
    assert body["message"]["vi"] and body["message"]["en"]
    return body["code"]


def deliver_in_app(notify, key: str, account: str, subject: str = "Hồ sơ mới", **headers) -> None:
    InAppChannel(notify.unit_of_work, clock=notify.clock).send(OutgoingMessage(
        delivery_key=key, channel=IN_APP, recipient=account, subject=subject, body=f"{subject}: GT-7X9V-FH1S-T",
        headers={"locality_code": WARD, "link": "/console/ho-so/1", **headers}))


# -- the staff's inbox --------------------------------------------------------------------------
def test_the_unread_count_the_list_and_marking_read_are_the_callers_own(client, notify, as_user):
    for i in range(3):
        deliver_in_app(notify, f"dk-{i}", "acc-1", f"Thư {i}")
    deliver_in_app(notify, "dk-other", "acc-2", "Thư của người khác")
    me = as_user(account="acc-1")
    assert client.get("/api/v1/me/inbox/unread-count", headers=me).json == {"unread": 3}
    listed = client.get("/api/v1/me/inbox", headers=me).json
    assert [m["subject"] for m in listed["items"]] == ["Thư 2", "Thư 1", "Thư 0"]  # newest first
    assert (listed["total"], listed["unread"]) == (3, 3)
    assert listed["items"][0]["link"] == "/console/ho-so/1" and listed["items"][0]["locality_code"] == WARD
    first = listed["items"][-1]["id"]
    assert client.post("/api/v1/me/inbox/read", json={"ids": [first]}, headers=me).json == {"marked": 1, "unread": 2}
    assert client.post("/api/v1/me/inbox/read", json={"ids": [first]}, headers=me).json == {"marked": 0, "unread": 2}
    unread = client.get("/api/v1/me/inbox?unread=1", headers=me).json["items"]
    assert [m["subject"] for m in unread] == ["Thư 2", "Thư 1"]
    opened = client.get(f"/api/v1/me/inbox/{listed['items'][0]['id']}", headers=me).json
    assert opened["unread"] is False and opened["read_at"] == NOW.isoformat()
    assert client.post("/api/v1/me/inbox/read", json={"all": True}, headers=me).json == {"marked": 1, "unread": 0}
    # The other person's message is untouched by all of it.
    assert client.get("/api/v1/me/inbox/unread-count", headers=as_user(account="acc-2")).json == {"unread": 1}


def test_another_persons_message_answers_404_and_marking_it_changes_nothing(client, notify, as_user):
    deliver_in_app(notify, "dk-theirs", "acc-2")
    theirs = client.get("/api/v1/me/inbox", headers=as_user(account="acc-2")).json["items"][0]["id"]
    me = as_user(account="acc-1")
    resp = client.get(f"/api/v1/me/inbox/{theirs}", headers=me)
    assert resp.status_code == 404 and error(resp) == "not_found"
    assert client.get("/api/v1/me/inbox/999999", headers=me).status_code == 404
    assert client.post("/api/v1/me/inbox/read", json={"ids": [theirs]}, headers=me).json["marked"] == 0
    assert client.get("/api/v1/me/inbox/unread-count", headers=as_user(account="acc-2")).json == {"unread": 1}
    for raw in ("0", "-1", "1e3", "١", "9" * 40, "%00"):
        assert client.get(f"/api/v1/me/inbox/{raw}", headers=me).status_code in (400, 404)


def test_a_message_delivered_twice_is_one_message(client, notify, as_user):
    deliver_in_app(notify, "dk-same", "acc-1")
    deliver_in_app(notify, "dk-same", "acc-1")
    assert client.get("/api/v1/me/inbox/unread-count", headers=as_user()).json == {"unread": 1}


def test_a_link_that_leaves_the_site_is_dropped_from_a_message(client, notify, as_user):
    for i, link in enumerate(["https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)"]):
        deliver_in_app(notify, f"dk-link-{i}", "acc-1", link=link)
    assert {m["link"] for m in client.get("/api/v1/me/inbox", headers=as_user()).json["items"]} == {None}


def test_the_inbox_needs_a_signed_in_staff_member(client, as_user):
    resp = client.get("/api/v1/me/inbox/unread-count")
    assert resp.status_code == 401 and error(resp) == "sign_in_required"
    assert client.get("/api/v1/me/inbox", headers=as_user(role=auth.PUBLISHER)).status_code == 403
    assert client.get("/api/v1/me/inbox", headers={"Authorization": "Bearer not.a.token"}).status_code == 401


@pytest.mark.parametrize("body", [
    {"ids": "1"}, {"ids": [True]}, {"ids": ["1"]}, {"ids": [1.5]}, {"ids": [0]}, {"ids": [-3]}, {"ids": []},
    {"ids": [2**53]}, {"ids": list(range(1, 502))}, {"all": "yes"}, {"all": False}, {}, {"ids": [1], "all": True},
    {"ids": None}, {"ids": {"1": 1}}, {"mark": "all"},
])
def test_mark_read_refuses_what_is_not_a_list_of_ids_or_all(client, as_user, body):
    resp = client.post("/api/v1/me/inbox/read", json=body, headers=as_user())
    assert resp.status_code == 422, body
    assert error(resp) == "invalid_fields"


def test_huge_deep_duplicated_or_non_json_bodies_are_refused_before_anything_changes(client, as_user):
    me = as_user()
    huge = client.post("/api/v1/me/inbox/read", data=b'{"ids": [' + b"1," * 40000 + b"1]}",
                       content_type="application/json", headers=me)
    assert huge.status_code == 413 and error(huge) == "too_large"
    deep = client.post("/api/v1/me/inbox/read", data="[" * 40 + "]" * 40, content_type="application/json", headers=me)
    assert deep.status_code == 400 and error(deep) in ("too_deep", "not_an_object")
    deep_object = client.post("/api/v1/me/inbox/read", data='{"ids": ' + "[" * 40 + "]" * 40 + "}",
                              content_type="application/json", headers=me)
    assert deep_object.status_code == 400 and error(deep_object) == "too_deep"
    twice = client.post("/api/v1/me/inbox/read", data='{"all": true, "all": true}',
                        content_type="application/json", headers=me)
    assert twice.status_code == 400 and error(twice) == "duplicate_field"
    form = client.post("/api/v1/me/inbox/read", data={"all": "true"}, headers=me)
    assert form.status_code == 400 and error(form) == "csrf_failed"  # a form is what a browser sends cross-site
    xml = client.post("/api/v1/me/inbox/read", data="<all/>", content_type="application/xml", headers=me)
    assert xml.status_code == 415
    nul = client.put("/api/v1/me/preferences", data='{"channels": ["email\\u0000"]}',
                     content_type="application/json", headers=me)
    assert nul.status_code == 422 and error(nul) == "invalid_characters"


def test_a_cookie_request_without_the_csrf_token_is_refused(client, notify, token):
    deliver_in_app(notify, "dk-csrf", "acc-1")
    client.set_cookie(auth.TOKEN_COOKIE, token())
    refused = client.post("/api/v1/me/inbox/read", json={"all": True})
    assert refused.status_code == 400 and error(refused) == "csrf_failed"
    client.set_cookie(auth.CSRF_COOKIE, "c" * 43)
    assert client.post("/api/v1/me/inbox/read", json={"all": True},
                       headers={auth.CSRF_HEADER: "d" * 43}).status_code == 400
    ok = client.post("/api/v1/me/inbox/read", json={"all": True}, headers={auth.CSRF_HEADER: "c" * 43})
    assert ok.status_code == 200 and ok.json["marked"] == 1


# -- preferences --------------------------------------------------------------------------------
def test_staff_choose_their_channels_and_opt_out_of_non_statutory_messages(client, notify, as_user):
    me = as_user(account="acc-1")
    first = client.get("/api/v1/me/preferences", headers=me).json
    assert first["channels"] == [] and first["effective_channels"] == ["in_app", "email"]
    assert first["non_statutory"] is True and first["statutory_always_sent"] is True
    chosen = client.put("/api/v1/me/preferences", json={"channels": ["sms", "in_app"], "non_statutory": False},
                        headers=me).json
    assert chosen["channels"] == ["sms", "in_app"] and chosen["non_statutory"] is False
    assert client.get("/api/v1/me/preferences", headers=me).json["channels"] == ["sms", "in_app"]
    # What notify's recipient resolution then does with it:
    with notify.unit_of_work() as uow:
        person = staff_person("acc-1")
        assert channels.channels_for_person(uow, person, statutory=False, reachable=[IN_APP, EMAIL, SMS],
                                            default=[IN_APP]) == ()
        assert channels.channels_for_person(uow, person, statutory=True, reachable=[IN_APP, EMAIL, SMS],
                                            default=[IN_APP]) == (SMS, IN_APP)
    # Another person's choice is theirs alone.
    assert client.get("/api/v1/me/preferences", headers=as_user(account="acc-2")).json["channels"] == []


@pytest.mark.parametrize("body", [
    {"channels": ["webhook"]}, {"channels": "email"}, {"channels": ["email", "email"]}, {"channels": [1]},
    {"channels": ["email", "sms", "in_app", "email"]}, {"non_statutory": "no"}, {"non_statutory": 0},
    {"statutory": False}, {"channels": [None]},
])
def test_a_preference_that_is_not_one_is_refused_naming_the_field(client, as_user, body):
    resp = client.put("/api/v1/me/preferences", json=body, headers=as_user())
    assert resp.status_code == 422 and error(resp) == "invalid_fields"
    assert resp.json["error"]["details"]


def test_a_requester_chooses_among_their_own_addresses_by_tracking_code(client, notify):
    event = request_submitted(tracking_code=tracking_codes.compose("7X9VFH1S"))
    with notify.unit_of_work() as uow:
        tell_requester(event, uow, NOW)
        uow.commit()
    code = event.data["tracking_code"]
    assert client.get(f"/api/v1/requests/{code}/preferences").json["defaults"] == list(DEFAULT_REQUESTER_CHANNELS)
    resp = client.put(f"/api/v1/requests/{code.lower()}/preferences",
                      json={"channels": ["sms"], "non_statutory": False})
    assert resp.status_code == 200 and resp.json["channels"] == ["sms"]
    assert client.put(f"/api/v1/requests/{code}/preferences", json={"channels": ["in_app"]}).status_code == 422
    # An unknown code, and a mistyped one, are not somebody's preferences.
    unknown = client.get(f"/api/v1/requests/{tracking_codes.compose('22222222')}/preferences")
    assert unknown.status_code == 404 and error(unknown) == "not_found"
    assert client.put("/api/v1/requests/not-a-code/preferences", json={}).status_code == 400
    with notify.unit_of_work() as uow:
        person = requester_person(code)
        # The statutory notice follows the chosen channel; switched off it cannot be…
        assert channels.channels_for_person(uow, person, statutory=True, reachable=[EMAIL, SMS],
                                            default=DEFAULT_REQUESTER_CHANNELS) == (SMS,)
        # …and when the chosen channel has no address, it still reaches the requester.
        assert channels.channels_for_person(uow, person, statutory=True, reachable=[EMAIL],
                                            default=DEFAULT_REQUESTER_CHANNELS) == (EMAIL,)
        assert channels.channels_for_person(uow, person, statutory=False, reachable=[EMAIL, SMS],
                                            default=DEFAULT_REQUESTER_CHANNELS) == ()


# -- webhook subscriptions ----------------------------------------------------------------------
ADMIN = {"role": auth.PROVINCIAL_ADMIN, "localities": ()}


def test_the_admin_registers_a_receiver_and_sees_its_secret_once(client, notify, as_user):
    admin = as_user(account="admin", **ADMIN)
    resp = client.post("/api/v1/webhooks", headers=admin, json={
        "url": "https://mot-cua.quangtri.gov.vn/hooks", "event_types": [CONTRACT_TYPE], "locality_code": WARD,
        "description": "Hệ thống một cửa"})
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    created = resp.json
    assert created["secret"].startswith("whsec_") and len(created["secrets"]) == 1
    listed = client.get("/api/v1/webhooks", headers=admin)
    assert created["secret"] not in listed.get_data(as_text=True)
    one = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin).json
    assert "secret" not in one and one["event_types"] == [CONTRACT_TYPE]
    with notify.unit_of_work() as uow:
        assert [s.id for s in uow.webhook_subscriptions.wanting(CONTRACT_TYPE, WARD)] == [created["id"]]
        assert uow.webhook_subscriptions.wanting(CONTRACT_TYPE, OTHER_WARD) == []
        assert uow.webhook_subscriptions.wanting("vn.giaitrinh.case.refused.v1", WARD) == []


def test_rotating_a_secret_keeps_the_old_one_signing_for_the_overlap(client, notify, as_user, clock):
    admin = as_user(account="admin", **ADMIN)
    created = client.post("/api/v1/webhooks", headers=admin,
                          json={"url": "https://r.example/h", "event_types": ["*"]}).json
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/secrets", headers=admin)
    assert rotated.status_code == 201
    body = rotated.json
    assert body["secret"] != created["secret"]
    assert body["signing_until"] == (NOW + timedelta(hours=24)).isoformat()
    assert [s["expires_at"] for s in body["secrets"]] == [None, (NOW + timedelta(hours=24)).isoformat()]
    with notify.unit_of_work() as uow:
        sub = uow.webhook_subscriptions.get(created["id"])
    assert sub.signing_secrets(NOW) == (body["secret"], created["secret"])
    assert sub.signing_secrets(NOW + timedelta(hours=24)) == (body["secret"],)


def test_a_subscription_is_switched_off_changed_and_removed(client, as_user):
    admin = as_user(account="admin", **ADMIN)
    sid = client.post("/api/v1/webhooks", headers=admin, json={"url": "https://r.example/h",
                                                               "event_types": ["*"]}).json["id"]
    changed = client.patch(f"/api/v1/webhooks/{sid}", headers=admin,
                           json={"active": False, "url": "https://r.example/v2", "locality_code": None})
    assert changed.status_code == 200 and (changed.json["active"], changed.json["url"]) == (False, "https://r.example/v2")
    assert client.delete(f"/api/v1/webhooks/{sid}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{sid}", headers=admin).status_code == 404
    assert client.patch("/api/v1/webhooks/../../etc", headers=admin, json={}).status_code == 404
    assert client.get("/api/v1/webhooks/" + "a" * 5000, headers=admin).status_code in (404, 414)


@pytest.mark.parametrize(("body", "fields"), [
    ({"url": "http://r.example/h", "event_types": ["*"]}, ["url"]),
    ({"url": "https://user:pw@r.example/h", "event_types": ["*"]}, ["url"]),
    ({"url": ["https://r.example"], "event_types": ["*"]}, ["url"]),
    ({"url": "https://r.example/h", "event_types": ["vn.giaitrinh.case.invented.v1"]}, ["event_types[0]"]),
    ({"url": "https://r.example/h", "event_types": "*"}, ["event_types"]),
    ({"url": "https://r.example/h", "event_types": ["*"], "locality_code": 18880}, ["locality_code"]),
    ({"url": "https://r.example/h", "event_types": ["*"], "description": "x" * 501}, ["description"]),
    ({"url": "https://r.example/h", "event_types": ["*"], "secret": "whsec_mine"}, ["secret"]),
    ({}, ["url", "event_types"]),
])
def test_a_subscription_that_is_not_one_is_refused_naming_each_field(client, as_user, body, fields):
    resp = client.post("/api/v1/webhooks", headers=as_user(account="admin", **ADMIN), json=body)
    assert resp.status_code == 422 and error(resp) == "invalid_fields"
    assert [d["field"] for d in resp.json["error"]["details"]] == fields


def test_only_the_provincial_admin_manages_webhooks(client, as_user):
    for role in (auth.OFFICIAL, auth.LOCALITY_HEAD, auth.SUPERVISOR, auth.PUBLISHER):
        assert client.get("/api/v1/webhooks", headers=as_user(role=role)).status_code == 403
    assert client.post("/api/v1/webhooks", json={"url": "https://r.example/h", "event_types": ["*"]}).status_code == 401


def test_plain_http_receivers_are_allowed_only_where_the_settings_say(bus, sqlite_url, keys, clock, token):
    runtime = migrated_runtime("notify", sqlite_url("notify-http"), bus, GIAITRINH_AUTH_PUBLIC_KEY=str(keys[1]),
                               NOTIFY_WEBHOOK_ALLOW_HTTP="true")
    runtime.clock = clock
    try:
        resp = create_app(runtime).test_client().post(
            "/api/v1/webhooks", json={"url": "http://10.0.0.5:8080/hooks", "event_types": ["*"]},
            headers={"Authorization": f"Bearer {token(account='admin', **ADMIN)}"})
        assert resp.status_code == 201
    finally:
        runtime.close()


# -- the delivery log ---------------------------------------------------------------------------
def _filler(column: sa.Column):
    kind = column.type.python_type if hasattr(column.type, "python_type") else str
    return {int: 0, bool: False, datetime: NOW, date: NOW.date(), float: 0.0, Decimal: Decimal(0)}.get(kind, "x")


def put_delivery(notify, **values) -> None:
    """A row of the ledger as the sender loop writes it (notify's table when it has one, else a
    table of the columns the log reads, standing in for it in this test only)."""
    with notify.storage.engine.begin() as conn:
        table = getattr(orm, "deliveries", None)
        if table is None:
            table = sa.Table("deliveries", sa.MetaData(), *[
                sa.Column("delivery_key", sa.String(128), primary_key=True), sa.Column("request_id", sa.String(36)),
                sa.Column("locality_code", sa.String(20)), sa.Column("recipient", sa.String(320)),
                sa.Column("channel", sa.String(20)), sa.Column("status", sa.String(20)),
                sa.Column("attempts", sa.Integer()), sa.Column("reason", sa.Text()),
                sa.Column("created_at", sa.DateTime(timezone=True))])
            table.create(conn, checkfirst=True)
        row = {c.name: _filler(c) for c in table.columns
               if not c.nullable and c.server_default is None and c.autoincrement is not True}
        row.update({k: v for k, v in values.items() if k in table.c})
        conn.execute(sa.insert(table).values(**row))


@pytest.fixture
def ledger(notify):
    put_delivery(notify, delivery_key="k1", request_id="r-1", locality_code=WARD, recipient="dan@example.vn",
                 channel="email", status="sent", attempts=1, created_at=NOW)
    put_delivery(notify, delivery_key="k2", request_id="r-1", locality_code=WARD, recipient="+84912345678",
                 channel="sms", status="parked", attempts=5, reason="the SMS gateway answered 503",
                 created_at=NOW + timedelta(minutes=1))
    put_delivery(notify, delivery_key="k3", request_id="r-2", locality_code=OTHER_WARD, recipient="ai@example.vn",
                 channel="email", status="sent", attempts=1, created_at=NOW + timedelta(minutes=2))


def test_the_delivery_log_is_queried_by_request_recipient_and_status_within_ones_localities(client, as_user, ledger):
    head = as_user(account="head", role=auth.LOCALITY_HEAD, localities=(WARD,))
    keys = lambda q="": [d["delivery_key"] for d in client.get(f"/api/v1/deliveries{q}", headers=head).json["items"]]  # noqa: E731
    assert keys() == ["k2", "k1"]  # newest first; k3 is another locality's
    assert keys("?request_id=r-1&status=parked") == ["k2"]
    assert keys("?recipient=dan@example.vn") == ["k1"]
    assert keys("?request_id=r-2") == []
    assert keys("?channel=sms") == ["k2"]
    assert client.get("/api/v1/deliveries/k1", headers=head).json["recipient"] == "dan@example.vn"
    other = client.get("/api/v1/deliveries/k3", headers=head)
    assert other.status_code == 404 and error(other) == "not_found"
    admin = as_user(account="admin", **ADMIN)
    everything = client.get("/api/v1/deliveries", headers=admin).json["items"]
    assert [d["delivery_key"] for d in everything] == ["k3", "k2", "k1"]


def test_the_delivery_log_is_for_heads_and_refuses_a_filter_that_is_not_one(client, as_user, ledger):
    assert client.get("/api/v1/deliveries", headers=as_user(role=auth.OFFICIAL)).status_code == 403
    head = as_user(account="head", role=auth.LOCALITY_HEAD)
    for query in ("status=DROP TABLE", "channel=fax", "request_id=" + "a" * 80, "page=0", "per_page=100000",
                  "recipient=" + "x" * 400):
        resp = client.get(f"/api/v1/deliveries?{query}", headers=head)
        assert resp.status_code == 400, query


# -- the API's description ----------------------------------------------------------------------
def openapi_document() -> dict:
    return load_document("giaitrinh_notify.entrypoints")


def test_the_openapi_document_is_valid_and_names_every_route_and_method_of_the_api(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc == openapi_document() and doc["openapi"].startswith("3.1")
    assert document_problems(client.application, doc) == []
    for ref in _refs(doc):  # every $ref points at something
        assert _resolve(doc, ref) is not None, ref


def test_every_answer_matches_the_schema_the_document_gives_it(client, notify, as_user, ledger):
    deliver_in_app(notify, "dk-doc", "acc-1")
    admin, me = as_user(account="admin", **ADMIN), as_user(account="acc-1")
    head = as_user(account="head", role=auth.LOCALITY_HEAD)
    created = client.post("/api/v1/webhooks", headers=admin, json={"url": "https://r.example/h", "event_types": ["*"]})
    sid = created.json["id"]
    calls = [
        ("/api/v1/me/inbox", "get", client.get("/api/v1/me/inbox", headers=me)),
        ("/api/v1/me/inbox/unread-count", "get", client.get("/api/v1/me/inbox/unread-count", headers=me)),
        ("/api/v1/me/inbox/read", "post", client.post("/api/v1/me/inbox/read", json={"all": True}, headers=me)),
        ("/api/v1/me/inbox/read", "post", client.post("/api/v1/me/inbox/read", json={"ids": ["x"]}, headers=me)),
        ("/api/v1/me/preferences", "get", client.get("/api/v1/me/preferences", headers=me)),
        ("/api/v1/me/preferences", "put",
         client.put("/api/v1/me/preferences", json={"channels": ["email"]}, headers=me)),
        ("/api/v1/webhooks", "post", created),
        ("/api/v1/webhooks", "get", client.get("/api/v1/webhooks", headers=admin)),
        ("/api/v1/webhooks/{subscription_id}", "patch",
         client.patch(f"/api/v1/webhooks/{sid}", json={"active": False}, headers=admin)),
        ("/api/v1/webhooks/{subscription_id}/secrets", "post",
         client.post(f"/api/v1/webhooks/{sid}/secrets", headers=admin)),
        ("/api/v1/deliveries", "get", client.get("/api/v1/deliveries", headers=head)),
        ("/api/v1/deliveries/{delivery_key}", "get", client.get("/api/v1/deliveries/k1", headers=head)),
        ("/api/v1/deliveries/{delivery_key}", "get", client.get("/api/v1/deliveries/k3", headers=head)),
        ("/api/v1/me/inbox", "get", client.get("/api/v1/me/inbox")),
    ]
    doc = openapi_document()
    registry = Registry().with_resource("urn:notify", Resource.from_contents(doc, default_specification=DRAFT202012))
    for path, method, resp in calls:
        responses = doc["paths"][path][method]["responses"]
        assert str(resp.status_code) in responses, (path, method, resp.status_code)
        answer = _resolve(doc, responses[str(resp.status_code)].get("$ref")) or responses[str(resp.status_code)]
        pointer = _pointer_to_schema(doc, path, method, resp.status_code, answer)
        Draft202012Validator({"$ref": pointer}, registry=registry).validate(json.loads(resp.get_data()))


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for v in node.values():
            yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def _resolve(doc, ref):
    if not ref:
        return None
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


def _pointer_to_schema(doc, path, method, status, answer) -> str:
    ref = doc["paths"][path][method]["responses"][str(status)].get("$ref")
    base = ref if ref else "#/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}/responses/{status}"
    assert "application/json" in answer["content"]
    return "urn:notify" + base + "/content/application~1json/schema"


# -- the console's pages ------------------------------------------------------------------------
PAGE = {"Accept": "text/html"}


def test_the_inbox_page_shows_ones_messages_in_vietnamese_with_the_unread_count(client, notify, as_user):
    deliver_in_app(notify, "dk-page", "acc-1", "Hồ sơ mới được giao")
    deliver_in_app(notify, "dk-not-mine", "acc-2", "Thư của người khác")
    resp = client.get("/console/thong-bao/", headers={**as_user(), **PAGE})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "Hộp thư" in html and "1 thư chưa đọc" in html and "Hồ sơ mới được giao" in html
    assert "Thư của người khác" not in html
    assert '<a href="/console/tiep-nhan">Tiếp nhận yêu cầu</a>' in html  # intake's page, in notify's menu
    assert 'class="inbox-badge__count">1<' in html and 'data-unread-url="/console/thong-bao/chua-doc.json"' in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
    assert client.get("/console/thong-bao/chua-doc.json", headers=as_user()).json == {"unread": 1}


def test_the_inbox_forms_mark_read_only_with_their_csrf_token(client, notify, token):
    deliver_in_app(notify, "dk-form", "acc-1")
    deliver_in_app(notify, "dk-form-theirs", "acc-2")
    client.set_cookie(auth.TOKEN_COOKIE, token())
    page = client.get("/console/thong-bao/", headers=PAGE)
    csrf = page.headers.get("Set-Cookie", "")
    assert auth.CSRF_COOKIE in csrf
    form_token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post("/console/thong-bao/da-doc", data={"all": "1"}, headers=PAGE)
    assert refused.status_code == 400 and "csrf_failed" in refused.get_data(as_text=True)
    forged = client.post("/console/thong-bao/da-doc", data={"all": "1", "csrf_token": "x" * 43}, headers=PAGE)
    assert forged.status_code == 400
    assert client.get("/console/thong-bao/chua-doc.json").json == {"unread": 1}
    theirs = client.post("/console/thong-bao/da-doc", data={"id": "2", "csrf_token": form_token})
    assert theirs.status_code == 303  # another person's id marks nothing
    assert client.get("/console/thong-bao/chua-doc.json").json == {"unread": 1}
    done = client.post("/console/thong-bao/da-doc", data={"all": "1", "csrf_token": form_token, "chua-doc": "1"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/console/thong-bao/?chua-doc=1")
    assert client.get("/console/thong-bao/chua-doc.json").json == {"unread": 0}
    bad = client.post("/console/thong-bao/da-doc", data={"id": "1e9", "csrf_token": form_token})
    assert bad.status_code == 400


def test_the_delivery_log_page_is_for_a_localitys_heads(client, as_user, ledger):
    head = {**as_user(account="head", role=auth.LOCALITY_HEAD), **PAGE}
    html = client.get("/console/thong-bao/nhat-ky?status=parked", headers=head).get_data(as_text=True)
    assert "Nhật ký gửi thông báo" in html and "+84912345678" in html and "dan@example.vn" not in html
    assert "ai@example.vn" not in client.get("/console/thong-bao/nhat-ky", headers=head).get_data(as_text=True)
    official = client.get("/console/thong-bao/nhat-ky", headers={**as_user(), **PAGE})
    assert official.status_code == 403 and official.mimetype == "text/html"
    inbox = client.get("/console/thong-bao/", headers={**as_user(), **PAGE}).get_data(as_text=True)
    assert "nhat-ky" not in inbox  # the menu offers no page the person may not open
    assert client.get("/console/thong-bao/", headers=PAGE).status_code == 401
