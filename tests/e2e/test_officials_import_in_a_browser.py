"""Importing a locality's officials from CSV on the admin page (nhap-can-bo), in Chromium through
the gateway on the session's platform: the provincial admin the CLI made signs in with the
one-time code; a file with one bad row is answered with that row's line and imports nobody; a
good file lists the new logins with their first passwords, and the officials then appear on the
locality's page. The page, the refusal and the answer are free of serious axe findings, keep the
gateway's CSP and fit a phone — each pictured for a person to look at."""
from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from giaitrinh_platform import screenshots as shots
from giaitrinh_routing.domain.accounts import OFFICIAL_COLUMNS
from tests.e2e.test_console_alerts_in_a_browser import cli
from tests.e2e.test_console_sign_in_in_a_browser import fresh_code, sign_in
from tests.support.console_browser import walk_and_check

PHONE, DESKTOP = shots.VIEWPORTS
WARD = "19333"  # Phường Đông Hà: no other browser test's
ADMIN, ADMIN_PASSWORD = "quan-tri-nhap-e2e", "mật khẩu quản trị nhập cán bộ 2026"
PAGE = f"/console/admin/dia-ban/{WARD}"


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def admin_cookies(platform, browser, base) -> dict:
    """The provincial admin, made with the CLI, signed in once with a one-time code (a code is
    good once, and the next comes up to 30 s later): the context's cookies, for every test's
    contexts (the session renews the minute-long token)."""
    cli(platform, "keys", "generate")
    made = cli(platform, "users", "add", ADMIN, "--name", "Quản trị tỉnh nhập cán bộ", "--role", "provincial_admin",
               "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    uri = next(line for line in made.splitlines() if line.startswith("otpauth://"))
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    context = shots.new_context(browser, DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, base, ADMIN, ADMIN_PASSWORD, fresh_code(secret, set()))
        assert urlsplit(page.url).path == "/console/", page.inner_text("main")
        return context.storage_state()
    finally:
        context.close()



def officials_csv(*rows: str) -> bytes:
    return ("\n".join([",".join(OFFICIAL_COLUMNS), *rows]) + "\n").encode()


def upload(page, content: bytes):
    """Choose the file in the officials' import form and press its button; the answer to the POST."""
    form = page.locator("form", has=page.locator("#field-officials_file"))
    page.set_input_files("#field-officials_file",
                         files=[{"name": "can-bo.csv", "mimeType": "text/csv", "buffer": content}])
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/nhap-can-bo")) as answer:
        form.get_by_role("button", name="Nhập", exact=True).click()
    page.wait_for_load_state()
    return answer.value


def summary_rows(page) -> list[str]:
    return page.locator(".error-summary__list li").all_inner_texts()


def listed_logins(page) -> list[str]:
    officials = page.locator("section", has=page.locator("#officials-title"))
    return officials.locator("tbody tr td:nth-child(2)").all_inner_texts()


def test_a_file_with_one_bad_row_names_its_line_and_imports_nobody_then_a_good_one_adds_them(
        browser, base, admin_cookies):
    context = shots.new_context(browser, DESKTOP, java_script_enabled=False, storage_state=admin_cookies)
    try:
        page = context.new_page()
        assert page.goto(urljoin(base, PAGE)).status == 200
        good = ["can-bo.dia-chinh,Nguyễn Thị Lan,official,dia-chinh,lan@dongha.gov.vn,0912 000 111,true",
                "truong-phong.kinh-te,Trần Văn Minh,unit_head,kinh-te,,,true"]
        refused = upload(page, officials_csv(good[0], "quan-tri.la,Người Lạ,provincial_admin,,,,true", good[1]))
        assert refused.status == 422
        summary = page.get_by_role("alert").inner_text()
        assert "Không nhập dòng nào" in summary
        # The header is line 1; the row's problem names the file's column, in Vietnamese.
        assert re.search(r"^Dòng 3: role: Vai trò là một trong: official", summary, flags=re.M), summary
        assert "Dòng 2" not in summary and "Dòng 4" not in summary
        # Beside the file's field too (the summary is a long page away on a phone), and only there.
        assert page.get_attribute("#field-officials_file", "aria-invalid") == "true"
        beside = [t.strip() for t in page.locator("#field-officials_file-error .field__error").all_inner_texts()]
        assert beside == summary_rows(page)
        assert page.get_attribute("#field-file", "aria-invalid") is None  # the units' import was not sent
        page.goto(urljoin(base, PAGE))
        assert not {"can-bo.dia-chinh", "truong-phong.kinh-te", "quan-tri.la"} & set(listed_logins(page))

        answer = upload(page, officials_csv(*good))
        assert answer.status == 200 and answer.headers["cache-control"] == "no-store"
        assert page.locator("h1").inner_text() == "Đã nhập cán bộ"
        rows = page.locator("tbody tr").all_inner_texts()
        assert [r.split("\t")[0] for r in rows] == ["can-bo.dia-chinh", "truong-phong.kinh-te"]
        assert all(len(r.split("\t")[1]) >= 12 for r in rows)  # a first password each, shown here once
        page.get_by_role("link", name="Quay lại").click()
        page.wait_for_url(f"**{PAGE}")
        officials = page.locator("section", has=page.locator("#officials-title")).inner_text()
        assert "Nguyễn Thị Lan" in officials and "Trần Văn Minh" in officials
        assert {"can-bo.dia-chinh", "truong-phong.kinh-te"} <= set(listed_logins(page))
    finally:
        context.close()


def the_three_pages(page, base):
    """The locality's page, a file refused for its line 2, and the answer to a good one (new
    logins each time: only new logins get the answer page): each as (name, its answer)."""
    yield "admin-locality", page.goto(urljoin(base, PAGE))
    yield "officials-refused", upload(page, officials_csv("ai-do,,official,khong-co,,,perhaps"))
    login = f"can-bo.{uuid.uuid4().hex[:6]}"
    yield "officials-imported", upload(page, officials_csv(f"{login},Lê Thị Hồng,official,tu-phap,,,true"))


@pytest.mark.parametrize("viewport", shots.VIEWPORTS, ids=lambda v: v.name)
def test_the_page_its_refusal_and_its_answer_are_accessible_keep_the_csp_and_fit_the_screen(
        browser, base, admin_cookies, viewport):
    kept = shots.new_context(browser, viewport, storage_state=admin_cookies)  # the gateway's CSP, enforced
    checked = shots.new_context(browser, viewport, storage_state=admin_cookies, bypass_csp=True)  # for axe only
    statuses, found = walk_and_check(lambda page: the_three_pages(page, base), kept, checked, viewport)
    assert statuses == [200, 422, 200]
    assert found == {}
