"""Tiếp nhận in the console, in Chromium through the gateway on the session's platform: an
official of a commune, made with the CLI, records a request a person phoned in and is given its
tracking code; a day received after today is pointed out beside its field, in both languages,
with everything typed kept; and the form, its refusal and its receipt are free of serious axe
findings, keep the gateway's CSP and fit a phone — each pictured for a person to look at."""
from __future__ import annotations

import json
import urllib.request
from datetime import date, timedelta
from urllib.parse import urljoin

import pytest

from giaitrinh_platform import screenshots as shots
from tests.e2e.test_console_alerts_in_a_browser import cli
from tests.e2e.test_console_sign_in_in_a_browser import sign_in
from tests.support.console_browser import signed_in_context, walk_and_check

PHONE, DESKTOP = shots.VIEWPORTS
COMMUNE = "19165"  # Xã Phong Nha: no other browser test's
OFFICIAL, PASSWORD = "can-bo-tiep-dan-e2e", "mật khẩu cán bộ tiếp dân 2026"
FORM = "/console/tiep-nhan"
TYPED = {"title": "Đường lên thôn Cù Lạc 2 sạt lở", "content": "Ông Hòa gọi đường dây nóng: đoạn đường 200 m "
         "lên thôn Cù Lạc 2 sạt lở sau mưa, xe máy không qua được.", "full_name": "Đinh Văn Hòa",
         "phone": "0912 345 678"}


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def official(platform) -> str:
    """An official of the commune's office, made with the CLI as an operator does."""
    cli(platform, "keys", "generate")
    cli(platform, "users", "add", OFFICIAL, "--name", "Cán bộ tiếp dân E2E", "--role", "official",
        "--locality", COMMUNE, "--unit", "van-phong", "--password-stdin", stdin=PASSWORD + "\n")
    return OFFICIAL



def fill(page, *, channel: str = "Đường dây nóng", received_on: str = "") -> None:
    page.get_by_label(channel, exact=True).check()
    page.fill("#field-received_on", received_on)
    page.select_option("#field-locality_code", COMMUNE)
    page.select_option("#field-field", "construction")
    for name, value in TYPED.items():
        page.fill(f"#field-{name}", value)


def send(page):
    """Press the form's button; the answer to its POST."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(FORM)) as answer:
        page.get_by_role("button", name="Ghi nhận yêu cầu").click()
    page.wait_for_load_state()
    return answer.value


def future() -> str:
    return (date.today() + timedelta(days=3)).isoformat()  # later than today in Vietnam too


def test_an_official_records_a_request_phoned_in_and_is_given_its_tracking_code(browser, base, official):
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)  # the gateway's CSP enforced
    try:
        page = context.new_page()
        sign_in(page, base, OFFICIAL, PASSWORD)
        page.goto(urljoin(base, FORM))
        assert page.locator("h1").inner_text() == "Tiếp nhận yêu cầu"
        # The official's own commune only, already chosen (beside the empty first choice).
        assert page.locator("#field-locality_code option").all_inner_texts()[1:] == ["Xã Phong Nha"]
        assert page.input_value("#field-locality_code") == COMMUNE
        fill(page, received_on=(date.today() - timedelta(days=1)).isoformat())
        answer = send(page)
        assert answer.status == 201
        assert page.locator("h1").inner_text() == "Đã tiếp nhận yêu cầu"
        assert "Kênh tiếp nhận: Đường dây nóng" in page.inner_text("main")
        code = page.locator(".tracking-code").inner_text()
        assert "/cua-toi/" in page.locator(".secret-link").inner_text()  # the person's link, shown once
    finally:
        context.close()
    with urllib.request.urlopen(urljoin(base, f"/intake/api/v1/requests/{code}"), timeout=10) as resp:
        public = json.load(resp)
    assert (public["title"], public["field"], public["locality"]["code"]) == (TYPED["title"], "construction", COMMUNE)
    assert TYPED["full_name"] not in json.dumps(public, ensure_ascii=False)  # never in public


def test_a_day_received_after_today_is_pointed_out_beside_its_field_and_what_was_typed_is_kept(
        browser, base, official):
    context = signed_in_context(browser, base, PHONE, OFFICIAL, PASSWORD, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(urljoin(base, FORM))
        fill(page, channel="Tiếp xúc cử tri", received_on=future())
        assert send(page).status == 422
        summary = page.get_by_role("alert")
        assert "Yêu cầu chưa hợp lệ; hãy sửa các mục dưới đây." in summary.inner_text()
        assert summary.locator("[lang=en]").inner_text() == "The request is not valid yet; fix the items below."
        assert page.locator("#field-received_on-error").inner_text().strip() == "Ngày tiếp nhận không thể sau hôm nay."
        assert page.get_attribute("#field-received_on", "aria-invalid") == "true"
        assert page.input_value("#field-received_on") == future()
        assert page.is_checked("#field-channel-voter_meeting")
        assert page.input_value("#field-locality_code") == COMMUNE
        assert page.input_value("#field-field") == "construction"
        assert {name: page.input_value(f"#field-{name}") for name in TYPED} == TYPED
    finally:
        context.close()


def the_three_pages(page, base):
    """The empty form, the refusal of a day after today, and the receipt once it is cleared:
    each as (name, the answer that drew it)."""
    yield "record-form", page.goto(urljoin(base, FORM))
    fill(page, received_on=future())
    yield "record-refused", send(page)
    page.fill("#field-received_on", "")
    yield "recorded", send(page)


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_the_form_its_refusal_and_its_receipt_are_accessible_keep_the_csp_and_fit_the_screen(
        browser, base, official, viewport):
    kept = signed_in_context(browser, base, viewport, OFFICIAL, PASSWORD)  # the gateway's CSP, enforced
    checked = signed_in_context(browser, base, viewport, OFFICIAL, PASSWORD, bypass_csp=True)  # for axe only
    statuses, found = walk_and_check(lambda page: the_three_pages(page, base), kept, checked, viewport)
    assert statuses == [200, 422, 201]
    assert found == {}
