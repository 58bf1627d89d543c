"""The officials' console in Chromium, through the gateway (issue 8's "done"): a locality head
the CLI made signs in, finds a request submitted at the portal in the inbox, accepts it,
extends it once (the second extension is refused), answers with a commitment; intake's public
timeline then shows each step. axe-core finds nothing serious or critical on the inbox, the
case page and the locality's admin page."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.console_browser import page_problems, picture
from tests.support.submission import a_pdf
from tests.support.waiting import eventually

PHONE, DESKTOP = shots.VIEWPORTS
HEAD, HEAD_PASSWORD = "truong-phuong-e2e", "mật khẩu trưởng phường 2026"
WARD = "19351"  # Phường Nam Đông Hà
REQUEST = {"kind": "accountability_request", "field": "land", "locality_code": WARD,
           "title": "Giải trình việc thu hồi đất tổ 5",
           "content": "Đề nghị giải thích căn cứ thu hồi 120 m² đất của gia đình tại tổ 5.",
           "full_name": "Lê Văn C", "address": "5 Trần Hưng Đạo, Nam Đông Hà"}


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def head_account(platform) -> str:
    """A locality head of the ward, made with the CLI as an operator does (no TOTP: not an admin)."""
    cli = Path(sys.executable).parent / "giaitrinh"
    env = platform.service_env("routing")
    subprocess.run([str(cli), "routing", "keys", "generate"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([str(cli), "routing", "users", "add", HEAD, "--name", "Trưởng phường E2E",
                    "--role", "locality_head", "--locality", WARD, "--password-stdin"],
                   input=HEAD_PASSWORD + "\n", text=True, env=env, check=True, capture_output=True, timeout=120)
    return HEAD


def submit_request(base, **changes) -> dict:
    """A request through the gateway's JSON API: its receipt (tracking code, requester's link)."""
    req = urllib.request.Request(urljoin(base, "/intake/api/v1/requests"),
                                 data=json.dumps({**REQUEST, **changes}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def tracking_code(base) -> str:
    return submit_request(base)["tracking_code"]


def sign_in(page, base):
    page.goto(urljoin(base, "/console/dang-nhap"))
    page.fill("#field-login", HEAD)
    page.fill("#field-password", HEAD_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def open_case_from_inbox(page, base, code) -> str:
    """The inbox lists the case once routing has registered it; its link leads to the case page."""
    def listed():
        page.goto(urljoin(base, "/console/"))
        link = page.get_by_role("link", name=code)
        return link.count() > 0 and link
    eventually(listed, timeout=60, what="the case in the inbox").first.click()
    return page.url


def take(page, action: str, fields: dict[str, str]) -> None:
    form = page.locator(f"#action-{action}")
    for name, value in fields.items():
        form.locator(f"#field-{action}-{name}").fill(value)
    form.locator("button[type=submit]").first.click()


@contextlib.contextmanager
def case_accepted(browser, base, code: str):
    """The head signed in on a desktop without JavaScript, the case of ``code`` opened from the
    inbox and accepted: (context, page), closed after."""
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, base)
        open_case_from_inbox(page, base, code)
        take(page, "accept", {})
        yield context, page
    finally:
        context.close()


def a_pdf_named(folder: Path, name: str) -> Path:
    pdf = folder / name
    pdf.write_bytes(a_pdf())
    return pdf


def answer_with_file(page, pdf, explanation: str, legal_basis: str) -> None:
    """The case page's answer form, sent with ``pdf`` attached (multipart, no JavaScript)."""
    page.locator("#field-answer-attachments").set_input_files(str(pdf))
    take(page, "answer", {"explanation": explanation, "legal_basis": legal_basis})
    assert "done=answer" in page.url


def test_an_official_accepts_extends_once_and_answers_and_the_public_timeline_shows_each_step(
        browser, base, head_account, tracking_code):
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False)  # the gateway's CSP enforced
    try:
        page = context.new_page()
        sign_in(page, base)
        open_case_from_inbox(page, base, tracking_code)
        assert page.locator("#action-accept").count() == 1

        take(page, "accept", {})
        assert page.locator("#action-accept").count() == 0 and page.locator("#action-extend").count() == 1

        take(page, "extend", {"days": "5", "reason": "Cần xác minh hồ sơ địa chính."})
        assert "done=extend" in page.url
        # Once only (Decree 59/2019, Art. 13): the page no longer offers it, and a second
        # extension sent anyway (a form kept from before) is refused with 422, said on the page.
        assert page.locator("#action-extend").count() == 0
        second = context.request.post(
            urljoin(base, urlparse(page.url).path + "/extend"),
            form={"csrf_token": page.locator("input[name=csrf_token]").first.get_attribute("value"),
                  "version": page.locator("#action-answer input[name=version]").get_attribute("value"),
                  "extend-days": "3", "extend-reason": "Lần nữa."},
            headers={"Accept": "text/html", "Origin": base.rstrip("/")})
        assert second.status == 422 and "Nội dung thao tác chưa hợp lệ" in second.text()

        due = (date.today() + timedelta(days=30)).isoformat()
        take(page, "answer", {"explanation": "Việc thu hồi theo quyết định số 12/QĐ-UBND, đúng quy hoạch.",
                              "legal_basis": "Luật Đất đai 2024, Điều 79.",
                              "commitment_0_content": "Bồi thường đủ trong 30 ngày.",
                              "commitment_0_due_on": due})
        assert page.locator("#action-answer").count() == 0
        assert "Bồi thường đủ trong 30 ngày." in page.inner_text("main")
    finally:
        context.close()

    public = shots.new_context(browser, PHONE, java_script_enabled=False)
    try:
        page = public.new_page()

        def every_step_public():
            page.goto(urljoin(base, f"/tra-cuu?ma={tracking_code}"))
            text = page.inner_text("main")
            return all(t in text for t in ("Đã thụ lý yêu cầu", "Đã gia hạn thời hạn giải trình", "Đã giải trình"))
        eventually(every_step_public, timeout=60, what="intake's timeline showing each step")
    finally:
        public.close()


def test_an_answer_with_a_file_is_listed_for_staff_and_linked_on_the_public_timeline_when_published(
        browser, base, head_account, tmp_path):
    """Through the gateway: the answer's form takes a PDF (multipart, without JavaScript); the case
    page lists it and the staff download it; the requester agreed to publish, so intake's timeline
    links it and anyone downloads it under a plain name — never the name the official gave it."""
    code = submit_request(base, title="Giải trình việc cấp phép tổ 7", consent_to_publish=True)["tracking_code"]
    pdf = a_pdf_named(tmp_path, "Trả lời ông Lê Văn C.pdf")
    with case_accepted(browser, base, code) as (context, page):
        case_url = page.url.split("?")[0]
        checked = shots.new_context(browser, DESKTOP, bypass_csp=True)  # axe's script only
        try:  # the answer's form, with its file input, as a screen reader meets it
            axe_page = checked.new_page()
            sign_in(axe_page, base)
            axe_page.goto(case_url)
            assert axe_page.locator("#field-answer-attachments").count() == 1
            assert grave_violations(axe_page) == []
        finally:
            checked.close()
        answer_with_file(page, pdf, "Giấy phép cấp đúng quy hoạch.", "Luật Xây dựng 2014.")
        link = page.get_by_role("link", name="Trả lời ông Lê Văn C.pdf")
        staff_copy = context.request.get(urljoin(base, link.get_attribute("href")))
        assert staff_copy.status == 200 and staff_copy.body().startswith(b"%PDF-")

    public = shots.new_context(browser, PHONE, java_script_enabled=False)
    try:
        page = public.new_page()

        def linked():
            page.goto(urljoin(base, f"/tra-cuu?ma={code}"))
            found = page.get_by_role("link", name="Tệp 1")
            return found.count() > 0 and found
        href = eventually(linked, timeout=60, what="the answer's file on intake's timeline").get_attribute("href")
        assert "Lê Văn C" not in page.inner_text("main")
        anyone = public.request.get(urljoin(base, href))
        assert anyone.status == 200 and anyone.headers["content-disposition"] == "attachment; filename=giai-trinh.pdf"
    finally:
        public.close()


def test_a_requester_who_kept_the_answer_private_opens_its_file_from_their_own_page_and_nobody_else_sees_it(
        browser, base, head_account, tmp_path):
    """Through the gateway: the requester did not agree to publish; the official answers with a
    PDF; the requester's own page (the secret link) links the file and it opens there, on a phone,
    with the page's CSP kept; the public timeline shows neither the file nor its key, and the file's
    address without the key finds nothing."""
    receipt = submit_request(base, title="Giải trình việc thu hồi đất tổ 9", consent_to_publish=False)
    code, own_page = receipt["tracking_code"], receipt["requester_link"]
    pdf = a_pdf_named(tmp_path, "Trả lời riêng ông Lê Văn C.pdf")
    with case_accepted(browser, base, code) as (_, page):
        answer_with_file(page, pdf, "Thu hồi theo quyết định 12/QĐ-UBND.", "Luật Đất đai 2024.")

    requester = shots.new_context(browser, PHONE, java_script_enabled=False)
    try:
        page = requester.new_page()

        def linked():
            response = page.goto(urljoin(base, own_page))
            found = page.get_by_role("link", name="Tệp 1")
            return found.count() > 0 and (response, found)
        response, link = eventually(linked, timeout=60, what="the answer's file on the requester's page")
        assert page_problems(page, response, PHONE) == []
        assert "Thu hồi theo quyết định 12/QĐ-UBND." in page.inner_text("main")  # the explanation, theirs
        picture(page, "requester-answer-file", PHONE)
        href = link.get_attribute("href")
        assert "?k=" in href and "Lê Văn C" not in href
        own_copy = requester.request.get(urljoin(base, href))
        assert own_copy.status == 200 and own_copy.body() == pdf.read_bytes()
        key = href.split("?k=", 1)[1]
        without_key = requester.request.get(urljoin(base, href.split("?", 1)[0]))
        assert without_key.status == 404

        page.goto(urljoin(base, f"/tra-cuu?ma={code}"))
        assert page.get_by_role("link", name="Tệp 1").count() == 0
        assert "Thu hồi theo quyết định 12/QĐ-UBND." not in page.inner_text("main")
        assert key not in page.content()
    finally:
        requester.close()


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_the_inbox_and_the_case_page_have_no_serious_accessibility_violation(
        browser, base, head_account, tracking_code, viewport):
    context = shots.new_context(browser, viewport, bypass_csp=True)  # for axe's script only
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        sign_in(page, base)
        page.goto(urljoin(base, "/console/"))
        for name in ("inbox", "case", "locality admin"):
            if name == "case":
                open_case_from_inbox(page, base, tracking_code)
            if name == "locality admin":  # its units, officials and rules, read by its head
                page.goto(urljoin(base, f"/console/admin/dia-ban/{WARD}"))
                assert "Trưởng phường E2E" in page.inner_text("main")
            grave = grave_violations(page)
            if grave:
                found[name] = grave
    finally:
        context.close()
    assert found == {}
