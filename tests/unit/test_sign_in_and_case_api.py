"""Signing in at routing and using the case API with the token: the same answer for a wrong
password whether the login exists or not, the lock-out, the second factor, bad tokens, the
one-minute revocation rule (on an injected clock), CSRF on cookie requests, tenancy (another
locality's case is 404), and the domain's refusals as HTTP answers."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pyotp
import pytest

from giaitrinh_common import auth
from giaitrinh_routing.adapters.credentials import Argon2Passwords, Ed25519Signer, generate_signing_keys
from giaitrinh_routing.entrypoints.auth import account_service
from giaitrinh_routing.entrypoints.web import create_app
from tests.support.factories import request_submitted
from tests.support.signed_in import (
    OTHER_WARD,
    PASSWORD,
    WARD,
    Clock,
    add_account,
    open_session,
    signing_keys,
    signing_routing,
)

MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)


class CountingPasswords(Argon2Passwords):
    """The real argon2id hasher, counting how often it checks a password."""

    def __init__(self):
        super().__init__()
        self.checked = 0

    def verify(self, stored: str, password: str) -> bool:
        self.checked += 1
        return super().verify(stored, password)


@pytest.fixture
def keys(tmp_path):
    return signing_keys(tmp_path)


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def routing(bus, sqlite_url, keys, clock):
    with signing_routing(bus, sqlite_url("routing"), keys, clock) as runtime:
        yield runtime


@pytest.fixture
def app(routing):
    return create_app(routing)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def accounts(app):
    return app.extensions["giaitrinh_accounts"]


def sign_in(client, login, password=PASSWORD, totp=None):
    body = {"login": login, "password": password} | ({"totp": totp} if totp is not None else {})
    return client.post("/api/v1/auth/token", json=body)


def bearer(client, login, **kw) -> dict[str, str]:
    resp = sign_in(client, login, **kw)
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def open_case(routing, locality=WARD, field="land", channel="portal") -> str:
    event = request_submitted(submitted_at="2026-11-02T01:00:00+00:00", kind="accountability_request",
                              locality_code=locality, field=field, channel=channel)
    with routing.unit_of_work() as uow:
        assert uow.claim("routing", event)
        routing.handlers()[event.type](event, uow)
        uow.commit()
        return uow.cases.for_request(event.subject).id


def error(resp) -> str:
    body = resp.json["error"]
    assert body["message"]["vi"] and body["message"]["en"]
    return body["code"]


# -- signing in ---------------------------------------------------------------------------------
def test_a_wrong_password_gets_the_same_answer_whether_the_login_exists_or_not(routing, accounts, client):
    add_account(accounts, "can-bo")
    counting = CountingPasswords()
    accounts.passwords = counting
    wrong = sign_in(client, "can-bo", "not the password")
    after_known = counting.checked
    unknown = sign_in(client, "nobody-here", "not the password")
    assert (wrong.status_code, wrong.json) == (unknown.status_code, unknown.json) == (401, wrong.json)
    assert error(wrong) == "invalid_credentials"
    # An unknown login costs a password check too, so the time does not tell either.
    assert after_known == 1 and counting.checked == 2


def test_five_wrong_passwords_in_fifteen_minutes_lock_the_login_even_for_the_right_one(accounts, client, clock):
    add_account(accounts, "can-bo")
    answers = []
    for _ in range(5):
        answers.append(sign_in(client, "can-bo", "guess " * 3))
        clock.move(minutes=2)
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 429]
    locked = sign_in(client, "can-bo")  # the right password, 7 minutes into the lock
    assert locked.status_code == 429 and error(locked) == "account_locked"
    assert "phút" in locked.json["error"]["message"]["vi"] and "minutes" in locked.json["error"]["message"]["en"]
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    clock.move(minutes=15)
    assert sign_in(client, "can-bo").status_code == 200


def test_a_login_nobody_has_is_locked_the_same_way_so_the_lock_tells_nothing(client):
    answers = [sign_in(client, "nobody-here", "guess " * 3) for _ in range(6)]
    assert [r.status_code for r in answers] == [401, 401, 401, 401, 429, 429]


def test_wrong_passwords_spread_over_more_than_the_window_do_not_lock(accounts, client, clock):
    add_account(accounts, "can-bo")
    for _ in range(8):
        assert sign_in(client, "can-bo", "guess " * 3).status_code == 401
        clock.move(minutes=4)  # four failures at most in any 15 minutes
    assert sign_in(client, "can-bo").status_code == 200


def test_a_provincial_admin_signs_in_with_a_one_time_code_used_once(accounts, client, clock):
    made = add_account(accounts, "admin-tinh", role="provincial_admin", localities=(), unit=None)
    assert made.totp_uri.startswith("otpauth://totp/")
    secret = made.account.totp_secret
    code = pyotp.TOTP(secret).at(clock.at)
    assert sign_in(client, "admin-tinh").status_code == 401  # no code: the same answer as a wrong one
    assert error(sign_in(client, "admin-tinh", totp="000000")) == "invalid_credentials"
    ok = sign_in(client, "admin-tinh", totp=code)
    assert ok.status_code == 200 and ok.json["principal"]["role"] == "provincial_admin"
    assert sign_in(client, "admin-tinh", totp=code).status_code == 401  # an overheard code is spent
    clock.move(seconds=30)
    assert sign_in(client, "admin-tinh", totp=pyotp.TOTP(secret).at(clock.at)).status_code == 200


def test_right_credentials_of_a_disabled_account_say_it_is_disabled(accounts, client):
    add_account(accounts, "can-bo")
    accounts.set_disabled("can-bo", True)
    resp = sign_in(client, "can-bo")
    assert resp.status_code == 403 and error(resp) == "account_disabled"


def test_a_sign_in_body_with_unknown_or_wrong_fields_is_refused_by_name(client):
    resp = client.post("/api/v1/auth/token", json={"login": 7, "pasword": "x"})
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} == {"login", "pasword", "password"}


# -- tokens ---------------------------------------------------------------------------------------
def test_an_expired_a_tampered_and_a_wrong_key_token_each_answer_401(accounts, client, clock, tmp_path):
    add_account(accounts, "can-bo")
    token = sign_in(client, "can-bo").json["token"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], signature])
    generate_signing_keys(tmp_path / "other" / "private.pem", tmp_path / "other" / "public.pem")
    now = int(clock())
    claims = auth.token_claims(subject="x", role="provincial_admin", localities=[], unit_code=None, body=None,
                               name="", session_id=None, issued_at=now, lifetime=60)
    foreign = Ed25519Signer(tmp_path / "other" / "private.pem").sign(claims)
    for bad, code in [(tampered, "invalid_token"), (foreign, "invalid_token"), ("not.a.token", "invalid_token")]:
        resp = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {bad}"})
        assert resp.status_code == 401 and error(resp) == code
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    clock.move(seconds=60)
    expired = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and error(expired) == "token_expired"
    assert client.get("/api/v1/cases").status_code == 401  # none at all


def test_a_token_claiming_a_life_longer_than_a_minute_is_refused_even_with_the_right_key(routing, keys, client, clock):
    now = int(clock())
    claims = {**auth.token_claims(subject="x", role="locality_head", localities=[WARD], unit_code=None, body=None,
                                  name="", session_id=None, issued_at=now, lifetime=60), "exp": now + 3600}
    long_lived = Ed25519Signer(keys[0]).sign(claims)
    resp = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {long_lived}"})
    assert resp.status_code == 401 and error(resp) == "invalid_token"


def test_disabling_an_account_ends_its_session_now_and_its_token_within_a_minute(accounts, client, clock):
    add_account(accounts, "can-bo")
    signed = sign_in(client, "can-bo").json
    headers = {"Authorization": f"Bearer {signed['token']}"}
    clock.move(seconds=10)
    accounts.set_disabled("can-bo", True)
    renewed = client.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert renewed.status_code == 401 and error(renewed) == "session_ended"  # no new token, ever
    clock.move(seconds=49)  # the token's last second: still good (the stated bound)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    clock.move(seconds=1)  # 60 s after it was issued: refused on every service
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_a_session_renews_the_token_until_sign_out(accounts, client, clock):
    add_account(accounts, "can-bo")
    signed = sign_in(client, "can-bo").json
    clock.move(seconds=55)
    renewed = client.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert renewed.status_code == 200 and renewed.json["expires_at"] == int(clock()) + 60
    assert client.post("/api/v1/auth/sign-out", json={"refresh_token": signed["refresh_token"]}).status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert again.status_code == 401


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(accounts, client):
    add_account(accounts, "can-bo")
    first = sign_in(client, "can-bo").json
    second = sign_in(client, "can-bo").json
    headers = {"Authorization": f"Bearer {second['token']}"}
    wrong = client.post("/api/v1/auth/password", headers=headers,
                        json={"current_password": "nope", "new_password": "một mật khẩu mới 2027"})
    assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["field"] == "current_password"
    done = client.post("/api/v1/auth/password", headers=headers,
                       json={"current_password": PASSWORD, "new_password": "một mật khẩu mới 2027"})
    assert done.status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 200
    assert sign_in(client, "can-bo", "một mật khẩu mới 2027").status_code == 200


def test_a_publisher_trades_its_api_key_for_a_token_that_reads_no_case(accounts, client):
    _key, secret = accounts.add_api_key("tong-dai-1022", {WARD})
    resp = client.post("/api/v1/auth/token", json={"api_key": secret})
    assert resp.status_code == 200 and resp.json["principal"]["role"] == "publisher"
    assert "refresh_token" not in resp.json
    cases = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {resp.json['token']}"})
    assert cases.status_code == 403 and error(cases) == "role_forbidden"
    accounts.set_api_key_disabled("tong-dai-1022", True)
    assert client.post("/api/v1/auth/token", json={"api_key": secret}).status_code == 401


# -- cookies and CSRF ------------------------------------------------------------------------------
def cookie_sign_in(client, login):
    resp = open_session(client, login)
    assert "token" not in resp.json
    cookies = resp.headers.getlist("Set-Cookie")
    token_cookie = next(c for c in cookies if c.startswith(auth.TOKEN_COOKIE + "="))
    assert "HttpOnly" in token_cookie and "SameSite=Strict" in token_cookie and "Secure" not in token_cookie
    return resp.json["csrf_token"]


def test_a_cookie_request_without_the_right_csrf_token_is_refused_and_changes_nothing(routing, accounts, client):
    add_account(accounts, "can-bo")
    case_id = open_case(routing)
    csrf = cookie_sign_in(client, "can-bo")
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 200  # reading needs none
    for headers in ({}, {auth.CSRF_HEADER: "x" * 43}):
        refused = client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers=headers)
        assert refused.status_code == 400 and error(refused) == "csrf_failed"
    assert client.get(f"/api/v1/cases/{case_id}").json["state"] == "received"
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).version == 0
    done = client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers={auth.CSRF_HEADER: csrf})
    assert done.status_code == 200 and done.json["state"] == "accepted"


def test_a_form_posted_without_its_csrf_token_is_refused_on_a_public_route_too(client):
    resp = client.post("/api/v1/auth/token", data={"login": "a", "password": "b"})
    assert resp.status_code == 400 and error(resp) == "csrf_failed"


def test_cookies_are_secure_when_the_site_is_served_over_tls(routing, accounts):
    routing.settings = type(routing.settings)(**{**routing.settings.__dict__, "cookie_secure": True})
    client = create_app(routing).test_client()
    add_account(client.application.extensions["giaitrinh_accounts"], "can-bo")
    resp = open_session(client, "can-bo")
    assert all("Secure" in c for c in resp.headers.getlist("Set-Cookie"))


def test_pages_renew_an_expired_token_cookie_from_the_session_and_return(accounts, client, clock):
    add_account(accounts, "can-bo")
    cookie_sign_in(client, "can-bo")
    clock.move(seconds=61)
    assert client.get("/api/v1/auth/me").status_code == 401
    back = client.get("/console/gia-han?next=/console/cases?state=received")
    assert back.status_code == 303 and back.headers["Location"] == "/console/cases?state=received"
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/console/gia-han?next=https://evil.example/").headers["Location"] == "/"


# -- tenancy and roles ---------------------------------------------------------------------------
def test_a_case_of_another_locality_answers_404_as_if_it_did_not_exist(routing, accounts, client):
    add_account(accounts, "can-bo-khac", localities=(OTHER_WARD,))
    case_id = open_case(routing)
    headers = bearer(client, "can-bo-khac")
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 404
    # Not 409 for a stale version, nor 403: the case's existence does not leak through an action.
    for body in ({}, {"expected_version": 7}):
        resp = client.post(f"/api/v1/cases/{case_id}/accept", json=body, headers=headers)
        assert resp.status_code == 404 and error(resp) == "not_found"
    assert client.get("/api/v1/cases", headers=headers).json["total"] == 0
    missing = client.get("/api/v1/cases/no-such-case", headers=headers)
    assert (missing.status_code, missing.json) == (404, client.get(f"/api/v1/cases/{case_id}", headers=headers).json)


def test_a_role_the_action_is_not_for_answers_403_and_another_units_official_too(routing, accounts, client):
    add_account(accounts, "giam-sat", role="supervisor", unit=None, body="hdnd")
    add_account(accounts, "tu-phap", unit="tu-phap")
    case_id = open_case(routing)  # land: the land officer's unit
    for login in ("giam-sat", "tu-phap"):
        resp = client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers=bearer(client, login))
        assert resp.status_code == 403 and error(resp) == "not_permitted"
    seen = client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "giam-sat"))
    assert seen.status_code == 200 and seen.json["allowed_actions"] == []  # reads across the locality


def test_a_provincial_admin_reads_every_locality_but_takes_no_official_action(routing, accounts, client, clock):
    made = add_account(accounts, "admin-tinh", role="provincial_admin", localities=(), unit=None)
    ours, theirs = open_case(routing), open_case(routing, OTHER_WARD)
    headers = bearer(client, "admin-tinh", totp=pyotp.TOTP(made.account.totp_secret).at(clock.at))
    listed = client.get("/api/v1/cases", headers=headers).json
    assert {c["id"] for c in listed["items"]} == {ours, theirs}
    assert client.post(f"/api/v1/cases/{theirs}/accept", json={}, headers=headers).status_code == 403


# -- the case API ----------------------------------------------------------------------------------
def test_an_official_accepts_extends_and_answers_a_case_over_http(routing, accounts, client):
    add_account(accounts, "dia-chinh-1")
    case_id = open_case(routing)
    headers = bearer(client, "dia-chinh-1")
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert case.status_code == 200 and case.headers["ETag"] == '"0"'
    assert "accept" in case.json["allowed_actions"] and "assign" not in case.json["allowed_actions"]
    accepted = client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers={**headers, "If-Match": '"0"'})
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    answer_by = accepted.json["answer_by"]
    extended = client.post(f"/api/v1/cases/{case_id}/extend", headers=headers,
                           json={"days": 10, "reason": "Cần xác minh thực địa.", "expected_version": 1})
    assert extended.status_code == 200 and extended.json["extensions"] == 1
    assert extended.json["answer_by"] > answer_by
    answered = client.post(f"/api/v1/cases/{case_id}/answer", headers=headers, json={
        "explanation": "Đã kiểm tra hiện trạng và giải trình theo quy định.",
        "legal_basis": "Luật Đất đai 2024", "expected_version": 2})
    assert answered.status_code == 200 and answered.json["state"] == "answered"
    assert [s["action"] for s in answered.json["steps"]] == ["accept", "extend", "answer"]
    assert answered.json["steps"][0]["actor_id"] == accepted.json["steps"][0]["actor_id"]
    assert answered.headers["ETag"] == '"3"'


def test_the_domains_refusals_are_answered_409_409_422_and_404(routing, accounts, client):
    add_account(accounts, "dia-chinh-1")
    case_id = open_case(routing)
    headers = bearer(client, "dia-chinh-1")
    not_now = client.post(f"/api/v1/cases/{case_id}/close", json={}, headers=headers)
    assert not_now.status_code == 409 and error(not_now) == "action_not_allowed"
    stale = client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers={**headers, "If-Match": '"5"'})
    assert stale.status_code == 409 and error(stale) == "version_conflict"
    client.post(f"/api/v1/cases/{case_id}/accept", json={}, headers=headers)
    invalid = client.post(f"/api/v1/cases/{case_id}/extend", json={"days": 99, "reason": ""}, headers=headers)
    assert invalid.status_code == 422 and error(invalid) == "invalid_action"
    assert {(d["field"], d["code"]) for d in invalid.json["error"]["details"]} == {
        ("reason", "required"), ("days", "out_of_range")}
    assert all(d["message"]["vi"] and d["message"]["en"] for d in invalid.json["error"]["details"])
    unknown = client.post(f"/api/v1/cases/{case_id}/extend", json={"days": 3, "reason": "x", "dayz": 1},
                          headers=headers)
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["field"] == "dayz"
    assert client.post("/api/v1/cases/nope/accept", json={}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/fly", json={}, headers=headers).status_code == 404


def test_the_list_filters_by_state_field_and_overdue_and_pages_within_bounds(routing, accounts, client, clock):
    add_account(accounts, "truong-phuong", role="locality_head", unit=None)
    land, other = open_case(routing, field="land"), open_case(routing, field="finance")
    headers = bearer(client, "truong-phuong")
    client.post(f"/api/v1/cases/{land}/accept", json={}, headers=headers)
    listing = client.get("/api/v1/cases?state=received", headers=headers).json
    assert [c["id"] for c in listing["items"]] == [other]
    assert [c["id"] for c in client.get("/api/v1/cases?field=land", headers=headers).json["items"]] == [land]
    assert client.get("/api/v1/cases?overdue=true", headers=headers).json["total"] == 0
    clock.move(days=10)  # the accept-or-refuse deadline of the other has passed
    headers = bearer(client, "truong-phuong")
    overdue = client.get("/api/v1/cases?overdue=true", headers=headers).json
    assert [(c["id"], c["overdue"]) for c in overdue["items"]] == [(other, "accept")]
    page = client.get("/api/v1/cases?per_page=1&page=2", headers=headers).json
    assert page["total"] == 2 and len(page["items"]) == 1
    for query in ("per_page=201", "page=0", "state=lost", "overdue=maybe", "field=DROP%20TABLE"):
        resp = client.get(f"/api/v1/cases?{query}", headers=headers)
        assert resp.status_code == 400, query
        assert json.loads(resp.data)["error"]["details"]


def test_the_list_filters_by_channel_and_names_the_parameter_when_it_is_not_one(routing, accounts, client):
    add_account(accounts, "truong-phuong", role="locality_head", unit=None)
    by_hotline = open_case(routing, channel="hotline")
    open_case(routing, channel="portal")
    open_case(routing, locality=OTHER_WARD, channel="hotline")  # another locality's
    headers = bearer(client, "truong-phuong")
    listing = client.get("/api/v1/cases?channel=hotline", headers=headers).json
    assert [(c["id"], c["channel"]) for c in listing["items"]] == [(by_hotline, "hotline")]
    assert listing["total"] == 1
    assert client.get("/api/v1/cases?channel=voter_meeting", headers=headers).json["total"] == 0
    resp = client.get("/api/v1/cases?channel=fax", headers=headers)
    assert resp.status_code == 400 and error(resp) == "invalid_parameter"
    assert [d["field"] for d in resp.json["error"]["details"]] == ["channel"]


def test_the_accounts_service_is_the_one_the_app_uses(app, routing):
    # The CLI builds the same service on the same settings.
    assert account_service(routing).token_seconds == app.extensions["giaitrinh_accounts"].token_seconds == 60


def test_an_official_completes_a_commitment_over_http_and_a_stranger_gets_404(routing, accounts, client):
    add_account(accounts, "can-bo")
    add_account(accounts, "ngoai", localities=(OTHER_WARD,))
    headers = bearer(client, "can-bo")
    case_id = open_case(routing)
    for action, body in [("accept", {}), ("answer", {
            "explanation": "Đã xác minh", "legal_basis": "Luật Đất đai 2024",
            "commitments": [{"content": "Cắm lại mốc", "due_on": "2026-12-20"}]})]:
        assert client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers).status_code == 200
    [commitment] = client.get(f"/api/v1/cases/{case_id}", headers=headers).json["commitments"]
    url = f"/api/v1/commitments/{commitment['id']}/complete"
    assert client.post(url, json={"evidence": "x"}, headers=bearer(client, "ngoai")).status_code == 404
    assert client.post(url, json={"evidence": "  "}, headers=headers).status_code == 422
    assert client.post(url, json={"evidence": "x", "extra": 1}, headers=headers).status_code == 422
    done = client.post(url, json={"evidence": "Đã cắm 4 mốc, biên bản số 12"}, headers=headers)
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["on_time"] is True
    assert client.post(url, json={"evidence": "again"}, headers=headers).status_code == 409
