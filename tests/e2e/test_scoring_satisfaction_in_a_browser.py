"""The satisfaction criterion per unit and official in Chromium, through the gateway of the e2e
tier's one platform: a request submitted at the portal is accepted and answered by the ward's
head through routing's API, the requester rates the answer with their secret link, and the
ward's HĐND supervisor, signed in to the console, finds the stars counted for the unit the case
was with and for the head who answered on ``/reports/<ward>/hai-long`` — scoring put together
intake's ``request.rated`` and routing's ``case.answered``. axe-core finds nothing serious or
critical on the page; without JavaScript it reads the same."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from urllib.parse import urljoin

import pytest

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.console_browser import picture
from tests.support.waiting import eventually

PHONE, DESKTOP = shots.VIEWPORTS
WARD = "19066"  # Phường Bắc Gianh: no other e2e test's ward
PASSWORD = "mật khẩu Bắc Gianh 2026"
REQUEST = {"kind": "accountability_request", "field": "land", "locality_code": WARD,
           "title": "Giải trình việc cấp giấy chứng nhận tổ 2",
           "content": "Đề nghị giải thích vì sao hồ sơ cấp giấy chứng nhận của gia đình chậm ba tháng.",
           "full_name": "Phạm Văn E", "address": "2 Quang Trung, Bắc Gianh"}


def _call(url: str, payload: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(url, data=None if payload is None else json.dumps(payload).encode(),
                                 method="GET" if payload is None else "POST", headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        return resp.status, json.loads(resp.read() or b"{}")


def _routing(platform, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "giaitrinh_platform.cli", "routing", *args], input=stdin,
                          text=True, capture_output=True, timeout=120, env=platform.service_env("routing"))
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def ward(platform):
    """The ward's head and its HĐND supervisor, made with the CLI as an operator does."""
    suffix = uuid.uuid4().hex[:6]
    head, supervisor = f"truong-phuong-bg-{suffix}", f"hdnd-bg-{suffix}"
    _routing(platform, "keys", "generate")
    _routing(platform, "users", "add", head, "--name", "Trưởng phường Bắc Gianh", "--role", "locality_head",
             "--locality", WARD, "--password-stdin", stdin=PASSWORD + "\n")
    _routing(platform, "users", "add", supervisor, "--name", "Thường trực HĐND Bắc Gianh", "--role", "supervisor",
             "--body", "hdnd", "--locality", WARD, "--password-stdin", stdin=PASSWORD + "\n")
    listed = _routing(platform, "users", "list", "--locality", WARD, "--json")
    accounts = [json.loads(line) for line in listed.splitlines()]
    [head_id] = [a["id"] for a in accounts if a["login"] == head]
    return head, head_id, supervisor


def test_the_wards_supervisor_sees_a_rating_counted_for_the_unit_and_the_official_who_answered(
        browser, platform, ward):
    base = platform.gateway.url
    head, head_id, supervisor = ward
    _, submitted = _call(f"{base}/intake/api/v1/requests", REQUEST)
    code, link = submitted["tracking_code"], submitted["requester_link"]
    token = _call(f"{base}/routing/api/v1/auth/token", {"login": head, "password": PASSWORD})[1]["token"]

    def the_case():
        _, found = _call(f"{base}/routing/api/v1/cases?per_page=200", token=token)
        return next((c for c in found["items"] if c["tracking_code"] == code), None)
    case = eventually(the_case, timeout=60, what="the case in routing")
    unit = case["unit_code"]
    assert unit, case  # the ward's rule for land gives the case a unit
    url = f"{base}/routing/api/v1/cases/{case['id']}"
    assert _call(f"{url}/accept", {}, token)[0] == 200
    assert _call(f"{url}/answer", {"explanation": "Hồ sơ thiếu trích đo địa chính; đã bổ sung ngày 5/11.",
                                   "legal_basis": "Luật Đất đai 2024, Điều 136.", "commitments": [],
                                   "meeting_minutes": ""}, token)[0] == 200
    secret = link.rsplit("/", 1)[1]

    def rated():  # intake accepts the rating once it has heard of the answer
        try:
            return _call(f"{base}/intake/api/v1/requester/rating", {"secret": secret, "rating": 4})[0] == 201
        except urllib.error.HTTPError as refused:
            assert refused.code == 409, refused.read()
            return False
    eventually(rated, timeout=60, what="intake taking the rating")

    page_path = f"/reports/{WARD}/hai-long"
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)  # the gateway's CSP enforced
    try:
        page = context.new_page()
        page.goto(urljoin(base, "/console/dang-nhap"))
        page.fill("#field-login", supervisor)
        page.fill("#field-password", PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()

        def counted():
            page.goto(urljoin(base, page_path))
            return page.locator("#officials-caption").count() == 1
        eventually(counted, timeout=90, every=2, what="scoring counting the rating for the official")
        assert page.locator("h1").inner_text() == "Mức độ hài lòng với nội dung giải trình"
        units = page.get_by_role("region", name="Mức độ hài lòng theo đơn vị").inner_text()
        officials = page.get_by_role("region", name="Mức độ hài lòng theo cán bộ").inner_text()
        assert unit in units and "4" in units
        assert head_id in officials and "4" in officials

        def named():  # the name routing's registry published when the CLI made the account
            page.goto(urljoin(base, page_path))
            region = page.get_by_role("region", name="Mức độ hài lòng theo cán bộ")
            return "Trưởng phường Bắc Gianh" in region.inner_text()
        eventually(named, timeout=60, every=2, what="scoring naming the official from the registry's account event")
        picture(page, "satisfaction", DESKTOP)
        cookies = context.cookies()
    finally:
        context.close()

    checked = shots.new_context(browser, PHONE, bypass_csp=True)  # for axe's script only
    try:
        checked.add_cookies(cookies)
        page = checked.new_page()
        page.goto(urljoin(base, page_path))
        assert page.locator("#units-caption").count() == 1
        assert grave_violations(page) == []
    finally:
        checked.close()
