"""The pages in a real browser: Debian's Chromium driven by Playwright through the gateway of the
e2e tier's one platform (tests/e2e/conftest.py), one browser for the module. Core flows work
with JavaScript off; axe-core finds no serious or critical accessibility problem on any page, at
a phone's width or a desktop's; the Content-Security-Policy the gateway sends is kept; nothing
scrolls sideways on a phone; and `giaitrinh screenshots` writes its pictures.

axe-core (deploy/axe, installed by bootstrap.sh --test into .cache/axe) is put into each page by
Playwright's ``add_script_tag``, a script the page itself does not have. The gateway's CSP
(``script-src 'self'``) refuses such a script, as it should, so the contexts that run axe are
opened with ``bypass_csp=True``: for the test's own tool only. The pages' own compliance with
the CSP is checked in contexts that keep it (``test_no_page_breaks_the_content_security_policy``).
"""
from __future__ import annotations

import json
import struct
import urllib.request
from urllib.parse import urljoin

import pytest

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.waiting import eventually

PHONE, DESKTOP = shots.VIEWPORTS


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def tracking_code(base) -> str:
    """A request submitted through the gateway and registered by routing: a timeline of two steps."""
    code = shots.submit_sample_request(base)
    eventually(lambda: _public(base, code)["status"] != "submitted", timeout=60,
               what="routing to register the sample request")
    return code


def _public(base: str, code: str) -> dict:
    with urllib.request.urlopen(urljoin(base, f"/intake/api/v1/requests/{code}"), timeout=10) as resp:
        return json.load(resp)


def all_pages(code: str) -> dict[str, str]:
    return shots.main_pages(code)


@pytest.fixture
def page_without_js(browser):
    context = shots.new_context(browser, PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_a_citizen_tracks_a_request_with_javascript_off(page_without_js, base, tracking_code):
    page = page_without_js
    page.goto(urljoin(base, "/"))
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator("h1").inner_text() == "Gửi và theo dõi yêu cầu giải trình"
    page.get_by_label("Mã tra cứu").fill(tracking_code.lower())  # as people type it
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_url("**/tra-cuu?ma=*")
    heading = page.locator("#record-title").inner_text()
    assert heading == f"Yêu cầu {tracking_code}"
    public = _public(base, tracking_code)
    labels = page.locator(".timeline__label").all_inner_texts()
    assert labels == [entry["label"]["vi"] for entry in public["timeline"]]
    assert "tháng" in page.locator(".deadline").inner_text()  # the deadline, a Vietnamese date


def test_a_mistyped_code_is_pointed_out_on_the_form(page_without_js, base, tracking_code):
    page = page_without_js
    page.goto(urljoin(base, "/tra-cuu"))
    wrong = tracking_code[:-1] + ("A" if tracking_code[-1] != "A" else "B")
    page.get_by_label("Mã tra cứu").fill(wrong)
    page.get_by_role("button", name="Tra cứu").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_attribute("#field-ma", "aria-invalid") == "true"
    assert "Ký tự kiểm tra" in page.get_by_role("alert").inner_text()


def test_the_commune_search_finds_a_name_typed_without_diacritics(page_without_js, base):
    page = page_without_js
    page.goto(urljoin(base, "/xa-phuong"))
    page.get_by_label("Tìm xã, phường").fill("nam dong ha")
    page.get_by_role("button", name="Tìm").click()
    assert page.locator(".place-list li > span:first-child").all_inner_texts() == ["Phường Nam Đông Hà"]


def test_the_language_switch_turns_the_portal_to_english_and_keeps_it(browser, base):
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(urljoin(base, "/xa-phuong?q=dong"))
        page.get_by_role("link", name="English").click()
        assert page.get_attribute("html", "lang") == "en"
        assert page.locator("h1").inner_text() == "Communes and wards"
        assert "q=dong" in page.url  # the search is kept
        page.get_by_role("link", name="Home").click()
        assert page.get_attribute("html", "lang") == "en"  # remembered in the cookie
        assert page.locator("h1").inner_text() == "Submit and track requests for accountability"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_no_page_has_a_serious_or_critical_accessibility_violation(browser, base, tracking_code, viewport):
    context = shots.new_context(browser, viewport, bypass_csp=True)  # for axe's script only: see above
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        for name, path in all_pages(tracking_code).items():
            page.goto(urljoin(base, path))
            grave = grave_violations(page)
            if grave:
                found[name] = grave
    finally:
        context.close()
    assert found == {}


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_no_page_breaks_the_content_security_policy_or_scrolls_sideways(browser, base, tracking_code, viewport):
    context = shots.new_context(browser, viewport)  # the gateway's CSP, enforced
    refused: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: refused.append(msg.text) if msg.type == "error" else None)
        for name, path in all_pages(tracking_code).items():
            response = page.goto(urljoin(base, path))
            assert "script-src 'self'" in response.headers["content-security-policy"]
            # The shared stylesheet is applied (a CSP refusal or a wrong path would leave the default).
            assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") \
                == "rgb(11, 74, 133)", name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport.width, f"{name} is {width}px wide at {viewport.width}px"
    finally:
        context.close()
    # 404 and 400 pages log their status as a console error; nothing else may.
    assert [m for m in refused if "status of 4" not in m] == []


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_the_screenshots_command_writes_each_page_at_both_widths(browser, base, tracking_code, tmp_path):
    written = shots.take(browser, base, tmp_path, tracking_code)
    assert sorted(p.name for p in written) == sorted(
        f"{name}-{v.name}.png" for name in all_pages(tracking_code) for v in shots.VIEWPORTS)
    for path in written:
        width, height = png_size(path)
        assert width == (PHONE.width if path.stem.endswith("-phone") else DESKTOP.width)
        assert height >= (PHONE.height if path.stem.endswith("-phone") else DESKTOP.height)


# -- notify's pages in the console (/console/thong-bao/), signed in ------------------------------
HEAD_LOGIN, HEAD_PASSWORD = "e2e-truong-phuong", "mật-khẩu đủ dài cho e2e 2026"
NOTIFY_PAGES = {"notify-inbox": "/console/thong-bao/", "notify-deliveries": "/console/thong-bao/nhat-ky"}


@pytest.fixture(scope="module")
def locality_head(platform, base) -> str:
    """A locality head's account, opened with the CLI as an operator does, and one message in
    their inbox (written by notify's in-app channel into notify's database). Its account id."""
    import subprocess
    import sys
    from pathlib import Path

    from giaitrinh_common.bus import InMemoryBus
    from giaitrinh_notify.adapters.in_app import InAppChannel
    from giaitrinh_notify.domain.channels import IN_APP, OutgoingMessage
    from giaitrinh_platform.services import SERVICES

    cli = Path(sys.executable).parent / "giaitrinh"
    # The sign-in key pair, as `giaitrinh up` makes it on a first start (kept if there is one);
    # every process reads its key when it first needs it.
    subprocess.run([str(cli), "routing", "keys", "generate"], env=platform.service_env("routing"), check=True,
                   capture_output=True, timeout=120)
    subprocess.run([str(cli), "routing", "users", "add", HEAD_LOGIN, "--name", "Trưởng phường E2E",
                    "--role", "locality_head", "--locality", "18880", "--password-stdin"],
                   input=HEAD_PASSWORD + "\n", text=True, env=platform.service_env("routing"), check=True,
                   capture_output=True, timeout=120)
    request = urllib.request.Request(urljoin(base, "/routing/api/v1/auth/token"), method="POST",
                                     data=json.dumps({"login": HEAD_LOGIN, "password": HEAD_PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        account_id = json.load(resp)["principal"]["id"]
    spec = SERVICES["notify"]
    runtime = spec.bootstrap(settings=spec.settings(platform.service_env("notify")), bus=InMemoryBus())
    try:
        InAppChannel(runtime.unit_of_work).send(OutgoingMessage(
            delivery_key="e2e-inbox-1", channel=IN_APP, recipient=account_id, subject="Hồ sơ mới được giao",
            body="Yêu cầu GT-7X9V-FH1S-R đã được giao cho đơn vị của bạn.",
            headers={"locality_code": "18880", "link": "/console/"}))
    finally:
        runtime.close()
    return account_id


def signed_in_context(browser, base, viewport, **options):
    """A context holding the head's sign-in cookies (routing's /auth/session, through the
    gateway, as the sign-in page does); the token lives a minute, enough for a few pages."""
    context = shots.new_context(browser, viewport, **options)
    answer = context.request.post(urljoin(base, "/routing/api/v1/auth/session"),
                                  data={"login": HEAD_LOGIN, "password": HEAD_PASSWORD})
    assert answer.ok, answer.text()
    return context


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_notifys_console_pages_have_no_serious_or_critical_accessibility_violation(browser, base, locality_head,
                                                                                   viewport):
    context = signed_in_context(browser, base, viewport, bypass_csp=True)  # for axe's script only
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        for name, path in NOTIFY_PAGES.items():
            response = page.goto(urljoin(base, path))
            assert response.status == 200, (name, response.status)
            grave = grave_violations(page)
            if grave:
                found[name] = grave
    finally:
        context.close()
    assert found == {}


def test_the_inbox_badge_script_runs_under_the_csp_and_the_pages_stay_on_the_screen(browser, base, locality_head):
    context = signed_in_context(browser, base, PHONE)  # the gateway's CSP, enforced
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        with page.expect_response(lambda r: r.url.endswith("/console/thong-bao/chua-doc.json")) as counted:
            page.goto(urljoin(base, "/console/thong-bao/"))
        assert counted.value.json() == {"unread": 1}  # the script asked, under script-src 'self'
        assert page.locator(".inbox-badge__count").inner_text() == "1"
        assert page.locator("h1").inner_text() == "Hộp thư"
        for path in NOTIFY_PAGES.values():
            page.goto(urljoin(base, path))
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE.width, path
    finally:
        context.close()
    assert errors == []


def test_without_javascript_the_header_link_leads_to_the_inbox_and_its_form_marks_read(browser, base,
                                                                                      locality_head):
    context = signed_in_context(browser, base, DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(urljoin(base, "/console/thong-bao/nhat-ky"))
        page.get_by_role("link", name="Hộp thư").click()
        page.wait_for_url("**/console/thong-bao/")
        assert "Hồ sơ mới được giao" in page.locator("main").inner_text()
        page.get_by_role("button", name="Đánh dấu tất cả là đã đọc").click()
        page.wait_for_url("**/console/thong-bao/")
        assert page.locator(".inbox-badge").is_hidden()
        assert "0 thư chưa đọc" in page.locator(".lead").inner_text()
    finally:
        context.close()


SEARCH_PAGES = {"search": "/intake/tim-kiem", "search-results": "/intake/tim-kiem?q=giay+phep&linh_vuc=land",
                "search-refused": "/intake/tim-kiem?tu=2026-11-10&den=2026-11-01"}


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_the_search_page_is_accessible_keeps_the_csp_and_fits_a_phone(browser, base, viewport):
    """The public search's page: axe finds nothing serious or critical (the form, the filters,
    the refusal of a reversed period), and with the gateway's CSP kept nothing scrolls sideways."""
    checked = shots.new_context(browser, viewport, bypass_csp=True)  # for axe's script only
    kept = shots.new_context(browser, viewport)
    found: dict[str, list[str]] = {}
    try:
        page, strict = checked.new_page(), kept.new_page()
        for name, path in SEARCH_PAGES.items():
            page.goto(urljoin(base, path))
            grave = grave_violations(page)
            if grave:
                found[name] = grave
            response = strict.goto(urljoin(base, path))
            assert "script-src 'self'" in response.headers["content-security-policy"]
            width = strict.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport.width, f"{name} is {width}px wide at {viewport.width}px"
    finally:
        checked.close()
        kept.close()
    assert found == {}


def test_a_search_without_diacritics_works_with_javascript_off(page_without_js, base):
    page = page_without_js
    page.goto(urljoin(base, "/intake/tim-kiem"))
    page.fill("#field-q", "giay phep xay dung")
    page.select_option("#field-linh_vuc", "construction")
    page.click("button[type=submit]")
    page.wait_for_url("**/tim-kiem?*")
    assert "linh_vuc=construction" in page.url
    assert page.locator("[role=status]").count() == 1
