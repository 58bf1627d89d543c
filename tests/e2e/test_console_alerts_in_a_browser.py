"""Issue 10's "an official sees new-case and overdue alerts in the console", in Chromium through
the gateway, on the session's platform: an official with an email, made with the CLI and named
by the ward's routing rule as the default official for land, is told of a request submitted for
the ward — the console header's inbox badge counts it and notify's inbox lists it; when the
deadline watcher runs after the acceptance deadline, the overdue alert joins it; both reach the
official's address in the SMTP sink's mailbox, and no public page shows that address.

The platform's clock is the real one (a case received today is not overdue for days), so the
overdue step is driven through the operator's command, ``giaitrinh routing watch --now … --case
…``: one sweep of the same watcher, for this case only, as of a moment after its deadline; its
alert goes out through routing's outbox and the worker's relay like any other."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from datetime import date, timedelta
from urllib.parse import urljoin

from giaitrinh_notify.entrypoints.smtp_sink import read_mailbox
from giaitrinh_platform import screenshots as shots
from tests.support.waiting import eventually

WARD = "18871"  # Phường Đồng Sơn: no other browser test's ward
PASSWORD = "mật khẩu cán bộ địa chính 2026"


def cli(platform, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "giaitrinh_platform.cli", "routing", *args], input=stdin,
                          text=True, capture_output=True, timeout=120, env=platform.service_env("routing"))
    assert done.returncode == 0, done.stderr
    return done.stdout


def call(url: str, payload=None, token: str | None = None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(url, data=None if payload is None else json.dumps(payload).encode(),
                                 method="GET" if payload is None else "POST", headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        return json.loads(resp.read() or b"{}")


def test_an_official_sees_the_new_case_and_overdue_alerts_in_the_console_and_gets_them_by_email(
        platform, browser):
    gateway = platform.gateway.url
    login, email = f"can-bo-dc-{uuid.uuid4().hex[:6]}", f"can-bo-{uuid.uuid4().hex[:8]}@dongson.gov.vn"
    cli(platform, "keys", "generate")
    cli(platform, "users", "add", login, "--name", "Cán bộ địa chính", "--role", "official", "--locality", WARD,
        "--unit", "dia-chinh", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    [me] = [json.loads(line) for line in cli(platform, "users", "list", "--locality", WARD, "--json").splitlines()
            if json.loads(line)["login"] == login]
    assert me["email"] == email
    cli(platform, "rules", "set", WARD, "land", "dia-chinh", "--official", me["id"])

    code = call(f"{gateway}/intake/api/v1/requests", {
        "kind": "accountability_request", "field": "land", "locality_code": WARD,
        "title": "Giải trình việc cấp giấy chứng nhận quyền sử dụng đất",
        "content": "Đề nghị giải thích vì sao hồ sơ cấp giấy của gia đình bị trả lại hai lần.",
        "full_name": "Trần Thị D", "address": "12 Lê Lợi, Đồng Sơn"})["tracking_code"]

    context = shots.new_context(browser, shots.VIEWPORTS[1])  # JavaScript on: the badge's script, under the CSP
    try:
        page = context.new_page()
        page.goto(urljoin(gateway, "/console/dang-nhap"))
        page.fill("#field-login", login)
        page.fill("#field-password", PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()

        def badge_counts():
            page.goto(urljoin(gateway, "/console/"))
            badge = page.locator(".site-nav .inbox-badge")
            badge.wait_for(state="attached")
            page.wait_for_load_state("networkidle")
            return badge.is_visible() and int(page.inner_text(".site-nav .inbox-badge__count") or 0)
        assert eventually(badge_counts, timeout=180, every=2, what="the header's unread count") >= 1

        def inbox_lists(subject: str):
            page.goto(urljoin(gateway, "/console/thong-bao/"))
            return subject in page.inner_text("main")
        eventually(lambda: inbox_lists(f"Hồ sơ mới {code}"), timeout=60, what="the new-case alert in the inbox")

        # The overdue step: one sweep of the watcher for this case, as of two days past its deadline.
        token = call(f"{gateway}/routing/api/v1/auth/token", {"login": login, "password": PASSWORD})["token"]
        listed = call(f"{gateway}/routing/api/v1/cases?per_page=200", token=token)["items"]
        case = next(c for c in listed if c["tracking_code"] == code)
        accept_by = date.fromisoformat(case["accept_by"])
        late = f"{accept_by + timedelta(days=2)}T09:00:00+07:00"
        assert "alerts raised" in cli(platform, "watch", "--now", late, "--case", case["id"])
        eventually(lambda: inbox_lists(f"Quá hạn: hồ sơ {code}"), timeout=120, every=2,
                   what="the overdue alert in the inbox")
        assert int(page.inner_text(".site-nav .inbox-badge__count")) >= 2  # drawn by the server on notify's page
    finally:
        context.close()

    def mailed():
        subjects = [m["Subject"] for m in read_mailbox(platform.mail_folder) if m["To"] == email]
        return (any(s.startswith(f"Hồ sơ mới {code}") for s in subjects)
                and any(s.startswith(f"Quá hạn: hồ sơ {code}") for s in subjects) and subjects)
    eventually(mailed, timeout=120, every=1, what="both alerts in the official's mailbox")

    with urllib.request.urlopen(urljoin(gateway, f"/tra-cuu?ma={code}"), timeout=15) as resp:
        assert email not in resp.read().decode()  # staff contact stays inside the console
