"""The console's front door in Chromium, through the gateway: the provincial admin the CLI made
signs in with the one-time code (pyotp computes it, as an authenticator app would), opens the
accounts page and adds an official of locality A; that official signs in with the one-time
password shown once, and locality B's case answers 404 to their page and their API alike.
axe-core finds nothing serious or critical on the sign-in, password and accounts pages."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.waiting import eventually

PHONE, DESKTOP = shots.VIEWPORTS
ADMIN, ADMIN_PASSWORD = "quan-tri-e2e", "mật khẩu quản trị 2026"
LOCALITY_A, LOCALITY_B = "18880", "19351"


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def admin_secret(platform) -> str:
    """The first provincial admin, from the CLI as an operator makes it; its TOTP secret."""
    cli = Path(sys.executable).parent / "giaitrinh"
    env = platform.service_env("routing")
    subprocess.run([str(cli), "routing", "keys", "generate"], env=env, check=True, capture_output=True, timeout=120)
    made = subprocess.run([str(cli), "routing", "users", "add", ADMIN, "--name", "Quản trị tỉnh E2E",
                           "--role", "provincial_admin", "--password-stdin"], input=ADMIN_PASSWORD + "\n",
                          text=True, env=env, check=True, capture_output=True, timeout=120)
    uri = next(line for line in made.stdout.splitlines() if line.startswith("otpauth://"))
    return parse_qs(urlsplit(uri).query)["secret"][0]


@pytest.fixture(scope="module")
def case_of_b(base) -> str:
    """A case of locality B, once routing has opened it: its id (read by an API token of the admin)."""
    code = shots.submit_sample_request(base)
    assert shots.SAMPLE_REQUEST["locality_code"] == LOCALITY_B
    return code


def sign_in(page, base, login, password, code=""):
    page.goto(urljoin(base, "/console/dang-nhap"))
    page.fill("#field-login", login)
    page.fill("#field-password", password)
    page.fill("#field-totp", code)
    page.get_by_role("button", name="Đăng nhập").click()


def fresh_code(secret: str, used: set[str]) -> str:
    """A one-time code not used yet (a code is good once: the next step's when this one is spent)."""
    code = eventually(lambda: (c := pyotp.TOTP(secret).now()) not in used and c, timeout=35, what="a new code")
    used.add(code)
    return code


USED: set[str] = set()


def api(base, path, token):
    req = urllib.request.Request(urljoin(base, path), headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_the_cli_admin_signs_in_with_totp_adds_an_official_who_cannot_see_another_locality(
        browser, base, admin_secret, case_of_b, tmp_path):
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)  # the gateway's CSP enforced
    try:
        page = context.new_page()
        sign_in(page, base, ADMIN, "not the password", fresh_code(admin_secret, USED))
        assert "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng." in page.inner_text("main")
        sign_in(page, base, ADMIN, ADMIN_PASSWORD, fresh_code(admin_secret, USED))
        page.goto(urljoin(base, "/console/tai-khoan"))
        assert page.locator("h1").inner_text() == "Tài khoản"
        assert "Quản trị tỉnh E2E" in page.locator(".site-nav__person").inner_text()
        page.fill("#field-login", "can-bo-a-e2e")
        page.fill("#field-display_name", "Cán bộ phường A")
        page.select_option("#field-role", "official")
        page.fill("#field-localities", LOCALITY_A)
        page.fill("#field-unit_code", "dia-chinh")
        page.fill("#field-email", "can-bo-a@phuong-a.gov.vn")
        page.fill("#field-phone", "0912 345 678")
        page.get_by_role("button", name="Thêm tài khoản này").click()
        password = page.locator("code.one-time-secret").first.inner_text()
        row = page.locator("tr", has_text="can-bo-a-e2e").inner_text()
        assert "Cán bộ, công chức" in row and "+84912345678" in row and "official" not in row
        page.screenshot(path=str(tmp_path / "accounts.png"), full_page=True)
    finally:
        context.close()

    # The case of B, as the admin's API token sees it (the admin reads every locality).
    with urllib.request.urlopen(urllib.request.Request(
            urljoin(base, "/routing/api/v1/auth/token"), method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"login": ADMIN, "password": ADMIN_PASSWORD,
                             "totp": fresh_code(admin_secret, USED)}).encode()), timeout=10) as resp:
        admin_token = json.load(resp)["token"]
    case = eventually(lambda: next((c for c in api(base, "/routing/api/v1/cases?per_page=200", admin_token)[1]
                                    ["items"] if c["tracking_code"] == case_of_b), None),
                      timeout=60, what="routing opening the case of B")

    official = shots.new_context(browser, PHONE, java_script_enabled=False)
    try:
        page = official.new_page()
        sign_in(page, base, "can-bo-a-e2e", password)
        assert urlsplit(page.url).path == "/console/"
        assert page.goto(urljoin(base, f"/console/ho-so/{case['id']}")).status == 404
        assert official.request.get(urljoin(base, f"/routing/api/v1/cases/{case['id']}")).status == 404
        assert page.goto(urljoin(base, "/console/tai-khoan")).status == 403  # known page, not their role
    finally:
        official.close()


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_the_sign_in_password_and_accounts_pages_have_no_serious_accessibility_violation(
        browser, base, admin_secret, viewport):
    context = shots.new_context(browser, viewport, bypass_csp=True)  # for axe's script only
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        pages = {"sign-in": "/console/dang-nhap", "sign-in-refused": None, "accounts": "/console/tai-khoan",
                 "password": "/console/mat-khau", "contact": f"/console/tai-khoan/{ADMIN}/lien-he"}
        for name, path in pages.items():
            if path is None:
                sign_in(page, base, ADMIN, "not the password")
            elif name == "accounts":
                sign_in(page, base, ADMIN, ADMIN_PASSWORD, fresh_code(admin_secret, USED))
                page.goto(urljoin(base, path))
            else:
                page.goto(urljoin(base, path))
            assert re.search(r"/console/", page.url), page.url
            grave = grave_violations(page)
            if grave:
                found[name] = grave
    finally:
        context.close()
    assert found == {}
