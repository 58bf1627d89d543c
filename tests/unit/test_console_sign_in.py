"""The console's sign-in pages against the adversary: a wrong password reads the same whether
the login exists or not, a locked login says so in both languages, a form without its CSRF token
is refused and changes nothing, a page reached with a tampered or expired token goes back to
sign-in (an API answers 401 JSON), ``next`` never leads off the site, and the accounts admin
adds, disables and resets accounts for provincial admins only."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pyotp

from giaitrinh_common import auth
from tests.support.signed_in import OTHER_WARD, PASSWORD, WARD
from tests.support.signed_in import add_account as add
from tests.unit import test_sign_in_and_case_api as base
from tests.unit.test_sign_in_and_case_api import MONDAY

# The sign-in API's fixtures: a migrated routing on SQLite, its keys, app, client, accounts and clock.
keys, clock, routing, app, client, accounts = base.keys, base.clock, base.routing, base.app, base.client, base.accounts

PAGE = {"Accept": "text/html"}


def csrf(client) -> str:
    page = client.get("/console/dang-nhap", headers=PAGE)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def page_sign_in(client, login, password=PASSWORD, totp="", next_="/console/"):
    return client.post("/console/dang-nhap", headers=PAGE, data={
        "csrf_token": csrf(client), "login": login, "password": password, "totp": totp, "next": next_})


def admin(accounts, client, login="quan-tri"):
    new = add(accounts, login, role="provincial_admin", localities=(), unit=None)
    secret = parse_qs(urlsplit(new.totp_uri).query)["secret"][0]
    resp = page_sign_in(client, login, totp=pyotp.TOTP(secret).at(MONDAY))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return secret


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_a_wrong_password_reads_the_same_on_the_page_whether_the_login_exists_or_not(accounts, client):
    add(accounts, "can-bo")
    known, unknown = page_sign_in(client, "can-bo", "not the password"), page_sign_in(client, "ai-do", "not it")
    assert known.status_code == unknown.status_code == 401
    message = "The login, password or one-time code is wrong."
    assert message in text(known) and message in text(unknown)
    assert "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng." in text(known)
    assert not any(c.startswith(auth.TOKEN_COOKIE) for c in known.headers.getlist("Set-Cookie"))


def test_a_locked_login_is_told_so_in_both_languages_with_retry_after(accounts, client):
    add(accounts, "can-bo")
    for _ in range(5):
        page_sign_in(client, "can-bo", "not the password")
    locked = page_sign_in(client, "can-bo")  # even the right password
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "tạm khóa" in text(locked) and "this login is locked" in text(locked)


def test_signing_in_on_the_page_sets_the_cookies_and_follows_next_on_this_site_only(accounts, client):
    add(accounts, "can-bo")
    resp = page_sign_in(client, "can-bo", next_="/console/mat-khau")
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/mat-khau"
    assert client.get("/console/mat-khau", headers=PAGE).status_code == 200
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        resp = page_sign_in(client, "can-bo", next_=evil)
        assert urlsplit(resp.headers["Location"]).netloc == "" and resp.headers["Location"].startswith("/")
        assert not resp.headers["Location"].startswith("//")


def test_a_provincial_admin_needs_the_one_time_code(accounts, client):
    new = add(accounts, "quan-tri", role="provincial_admin", localities=(), unit=None)
    assert page_sign_in(client, "quan-tri").status_code == 401
    secret = parse_qs(urlsplit(new.totp_uri).query)["secret"][0]
    assert page_sign_in(client, "quan-tri", totp=pyotp.TOTP(secret).at(MONDAY)).status_code == 303


def test_a_sign_in_form_without_its_csrf_token_is_refused_and_signs_nobody_in(accounts, client):
    add(accounts, "can-bo")
    csrf(client)
    resp = client.post("/console/dang-nhap", headers=PAGE, data={"login": "can-bo", "password": PASSWORD})
    assert resp.status_code == 400 and "csrf_failed" in text(resp)
    wrong = client.post("/console/dang-nhap", headers=PAGE,
                        data={"login": "can-bo", "password": PASSWORD, "csrf_token": "x" * 43})
    assert wrong.status_code == 400
    assert not client.get_cookie(auth.TOKEN_COOKIE)


def test_an_admin_form_without_its_csrf_token_changes_nothing(accounts, client):
    admin(accounts, client)
    add(accounts, "can-bo")
    resp = client.post("/console/tai-khoan/can-bo/trang-thai", headers=PAGE, data={"disabled": "1"})
    assert resp.status_code == 400
    assert not next(a for a in accounts.accounts()[0] if a.login == "can-bo").disabled


def test_a_page_reached_without_a_token_goes_to_sign_in_with_next_and_the_reason(client):
    resp = client.get("/console/mat-khau", headers=PAGE)
    assert resp.status_code == 303
    target = urlsplit(resp.headers["Location"])
    assert target.path == "/console/dang-nhap"
    assert parse_qs(target.query) == {"next": ["/console/mat-khau"], "reason": ["required"]}
    page = client.get(resp.headers["Location"], headers=PAGE)
    assert "Please sign in to continue." in text(page) and "Vui lòng đăng nhập để tiếp tục." in text(page)


def test_a_tampered_token_sends_a_page_to_sign_in_and_an_api_client_gets_401_json(accounts, client):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    token = client.get_cookie(auth.TOKEN_COOKIE).value
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    client.set_cookie(auth.TOKEN_COOKIE, tampered)
    client.delete_cookie(auth.SESSION_COOKIE)
    resp = client.get("/console/mat-khau", headers=PAGE)
    assert resp.status_code == 303 and "reason=expired" in resp.headers["Location"]
    api = client.get("/api/v1/auth/me", headers={"Accept": "application/json", "Authorization": f"Bearer {tampered}"})
    assert api.status_code == 401 and api.json["error"]["code"] == "invalid_token"


def test_an_expired_token_is_renewed_silently_from_the_session_and_the_page_shown(accounts, client, clock):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    clock.move(seconds=61)
    resp = client.get("/console/mat-khau", headers=PAGE)
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/console/gia-han?next=")
    back = client.get(resp.headers["Location"], headers=PAGE)
    assert back.status_code == 303 and back.headers["Location"] == "/console/mat-khau"
    assert client.get("/console/mat-khau", headers=PAGE).status_code == 200


def test_an_ended_session_sends_the_page_to_sign_in(accounts, client, clock):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    accounts.set_disabled("can-bo", True)
    clock.move(seconds=61)
    renew = client.get("/console/gia-han?next=/console/mat-khau", headers=PAGE)
    assert renew.status_code == 303
    target = urlsplit(renew.headers["Location"])
    assert target.path == "/console/dang-nhap" and parse_qs(target.query)["next"] == ["/console/mat-khau"]


def test_signing_out_ends_the_session_and_needs_the_csrf_token(accounts, client):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    assert client.post("/console/dang-xuat", headers=PAGE).status_code == 400
    out = client.post("/console/dang-xuat", headers=PAGE, data={"csrf_token": csrf(client)})
    assert out.status_code == 303 and "reason=signed_out" in out.headers["Location"]
    assert not client.get_cookie(auth.SESSION_COOKIE)


def test_the_password_page_changes_the_password_and_refuses_a_wrong_current_one(accounts, client):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    wrong = client.post("/console/mat-khau", headers=PAGE, data={
        "csrf_token": csrf(client), "current_password": "nope", "new_password": "một mật khẩu mới dài"})
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in text(wrong)
    done = client.post("/console/mat-khau", headers=PAGE, data={
        "csrf_token": csrf(client), "current_password": PASSWORD, "new_password": "một mật khẩu mới dài"})
    assert done.status_code == 303
    assert page_sign_in(client, "can-bo", "một mật khẩu mới dài").status_code == 303


def test_the_accounts_page_is_for_provincial_admins_only(accounts, client):
    add(accounts, "can-bo")
    page_sign_in(client, "can-bo")
    assert client.get("/console/tai-khoan", headers=PAGE).status_code == 403
    menu = text(client.get("/console/mat-khau", headers=PAGE))
    assert "/console/tai-khoan" not in menu and "Sign out" in menu or "Đăng xuất" in menu


def test_an_admin_adds_an_official_who_signs_in_with_the_one_time_password(accounts, app, client):
    admin(accounts, client)
    page = text(client.get("/console/tai-khoan", headers=PAGE))
    assert "quan-tri" in page and 'href="/console/tai-khoan"' in page
    added = client.post("/console/tai-khoan", headers=PAGE, data={
        "csrf_token": csrf(client), "login": "can-bo-a", "display_name": "Cán bộ A", "role": "official",
        "localities": WARD, "unit_code": "dia-chinh", "body": ""})
    assert added.status_code == 200
    password = re.search(r'<code class="one-time-secret">([^<]+)</code>', text(added)).group(1)
    other = app.test_client()
    assert page_sign_in(other, "can-bo-a", password).status_code == 303
    assert other.get("/api/v1/auth/me").json["localities"] == [WARD]
    refused = client.post("/console/tai-khoan", headers=PAGE, data={
        "csrf_token": csrf(client), "login": "can-bo-a", "display_name": "X", "role": "official",
        "localities": OTHER_WARD, "unit_code": "dia-chinh"})
    assert refused.status_code == 422 and "Tên đăng nhập đã có người dùng." in text(refused)


def test_an_admin_disables_then_enables_and_resets_an_account(accounts, app, client):
    admin(accounts, client)
    add(accounts, "can-bo")
    client.post("/console/tai-khoan/can-bo/trang-thai", headers=PAGE,
                data={"csrf_token": csrf(client), "disabled": "1"})
    assert page_sign_in(app.test_client(), "can-bo").status_code == 403
    client.post("/console/tai-khoan/can-bo/trang-thai", headers=PAGE,
                data={"csrf_token": csrf(client), "disabled": "0"})
    reset = client.post("/console/tai-khoan/can-bo/mat-khau", headers=PAGE, data={"csrf_token": csrf(client)})
    password = re.search(r'<code class="one-time-secret">([^<]+)</code>', text(reset)).group(1)
    assert page_sign_in(app.test_client(), "can-bo").status_code == 401
    assert page_sign_in(app.test_client(), "can-bo", password).status_code == 303
    assert client.post("/console/tai-khoan/khong-co/mat-khau", headers=PAGE,
                       data={"csrf_token": csrf(client)}).status_code == 404
