"""Done, for notify: one request submitted at the gateway, accepted, extended and answered by
the locality's head through routing's API — the real services as `giaitrinh up` runs them —
puts the four statutory notices, in Vietnamese, into the SMTP server's mailbox (the local sink
`giaitrinh up` starts) exactly once each, with notify's worker SIGKILLed and restarted mid-run."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
import uuid

from giaitrinh_notify.entrypoints.smtp_sink import read_index, read_mailbox
from tests.support.waiting import eventually

LOCALITY = "18880"
PASSWORD = "Mat-khau-dai-2026!"


def call(url, payload=None, token=None, method=None):
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(url, data=None if payload is None else json.dumps(payload).encode(),
                                 method=method or ("GET" if payload is None else "POST"), headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        return resp.status, json.loads(resp.read() or b"{}")


def kill_and_restart_notify_worker(platform):
    [child] = [c for c in platform.children if c.name == "notify-worker"]
    child.signal(signal.SIGKILL)
    child.process.wait(10)
    child.start()


def test_the_four_statutory_notices_reach_the_mailbox_once_each_in_vietnamese(platform):
    assert platform.uses_mail_sink
    gateway = platform.gateway.url
    login = f"chu-tich-{uuid.uuid4().hex[:6]}"
    routing_cli = [sys.executable, "-m", "giaitrinh_platform.cli", "routing"]
    # The sign-in key pair, as `giaitrinh up` makes it on its first start (kept if there).
    subprocess.run([*routing_cli, "keys", "generate"], check=True, capture_output=True,
                   env=platform.service_env("routing"))
    subprocess.run([*routing_cli, "users", "add", login,
                    "--name", "Chủ tịch phường", "--role", "locality_head", "--locality", LOCALITY,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True, capture_output=True,
                   env=platform.service_env("routing"))
    _, signed = call(f"{gateway}/routing/api/v1/auth/token", {"login": login, "password": PASSWORD})
    token = signed["token"]

    email = f"dan-{uuid.uuid4().hex[:8]}@example.vn"
    status, receipt = call(f"{gateway}/intake/api/v1/requests", {
        "kind": "feedback", "field": "land", "locality_code": LOCALITY, "title": "Đất công bị lấn chiếm",
        "content": "Đất công ở tổ 5 bị lấn chiếm để xây nhà.", "email": email, "wants_notifications": True})
    assert status == 201
    code = receipt["tracking_code"]

    def the_case():
        _, page = call(f"{gateway}/routing/api/v1/cases?per_page=200", token=token)
        return next((c for c in page["items"] if c["tracking_code"] == code), None)
    case = eventually(the_case, timeout=120, what="routing registering the case")
    cases = f"{gateway}/routing/api/v1/cases/{case['id']}"
    assert call(f"{cases}/accept", {}, token)[0] == 200
    kill_and_restart_notify_worker(platform)  # mid-run: the first notices may be on their way
    assert call(f"{cases}/extend", {"days": 10, "reason": "Cần xác minh thực địa."}, token)[0] == 200
    assert call(f"{cases}/answer", {"explanation": "Đã lập biên bản và yêu cầu tháo dỡ công trình.",
                                    "legal_basis": "Luật Đất đai 2024, Điều 11.", "commitments": [],
                                    "meeting_minutes": ""}, token)[0] == 200
    kill_and_restart_notify_worker(platform)

    def told():
        mails = [m for m in read_mailbox(platform.mail_folder) if m["To"] == email]
        return len(mails) >= 4 and mails
    mails = eventually(told, timeout=240, every=1, what="the four notices in the mailbox")
    subjects = [m["Subject"] for m in mails]
    assert sorted(s.split(" GT-")[0] for s in subjects) == sorted([
        "Đã tiếp nhận yêu cầu", "Thông báo thụ lý yêu cầu", "Thông báo gia hạn giải trình yêu cầu",
        "Văn bản giải trình yêu cầu"])
    assert all(code in s for s in subjects)
    bodies = {m["Subject"].split(" GT-")[0]: m.get_content() for m in mails}
    assert "Căn cứ pháp lý: Luật Đất đai 2024, Điều 11." in bodies["Văn bản giải trình yêu cầu"]
    assert "Cần xác minh thực địa." in bodies["Thông báo gia hạn giải trình yêu cầu"]
    # Exactly once: in the mailbox (one per Message-ID), and at the server as far as the
    # worker's deaths allowed (one second arrival at most per kill; docs/ARCHITECTURE.md §5).
    arrivals = [a for a in read_index(platform.mail_folder) if a["to"] == [email]]
    assert len({a["message_id"] for a in arrivals}) == 4 and len(arrivals) <= 4 + 2
