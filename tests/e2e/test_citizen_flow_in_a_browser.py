"""The citizen's whole way through the portal, in Chromium through the gateway of the e2e tier's
one platform (issue 9's "done"): a person submits a request for accountability and keeps the
secret link (a neighbour joins it and gets a link of their own), tries to rate before there is
anything to rate (409, said on the page), follows the public timeline as the ward's head
accepts, extends and answers through routing's API — each step with its date and the deadline
of the next — then rates the explanation with the link and sees it recorded. axe-core checks
the requester's and the joiner's pages with their rating forms.

The privacy scan on the real platform: the name, ID number, address, phone, email and secret
link of the person, and the joiner's (unique markers of this run), appear on no public page or
API answer fetched through the gateway, not in the gateway's access log, and in no event of any
topic read from the start by a consumer of its own — but in the ``contact`` block of
``request.submitted`` for the person's own notices, and of ``request.joined`` for the joiner's
(the rule of tests/unit/test_submission_form.py)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date
from urllib.parse import quote, urljoin

import pytest

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.waiting import eventually

PHONE, DESKTOP = shots.VIEWPORTS
WARD = "19009"  # Phường Ba Đồn: no other e2e test's ward
HEAD_PASSWORD = "mật khẩu trưởng phường Ba Đồn 2026"
TITLE = "Giải trình việc cấp phép xây dựng trạm trộn bê tông"
CONTENT = "Đề nghị giải thích vì sao trạm trộn bê tông được cấp phép sát khu dân cư tổ 3."
# Where the person's data may be in an event: only here, for their own notices.
OWN_NOTICES = {"vn.giaitrinh.request.submitted.v1", "vn.giaitrinh.request.joined.v1"}


def _markers() -> dict[str, str]:
    run = uuid.uuid4().int
    return {"full_name": f"Markername Qx{run % 10**6:06d}", "id_number": f"0{run % 10**11:011d}",
            "address": f"{run % 997} Markerstreet Qx", "phone": f"09{run % 10**8:08d}",
            "email": f"marker.{run % 16**10:010x}@example.vn"}


def _call(url: str, payload: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    req = urllib.request.Request(url, data=None if payload is None else json.dumps(payload).encode(),
                                 method="GET" if payload is None else "POST", headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        return resp.status, json.loads(resp.read() or b"{}")


def _text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=15) as resp:
        assert resp.status == 200, url
        return resp.read().decode("utf-8")


@pytest.fixture(scope="module")
def base(platform) -> str:
    return platform.gateway.url


@pytest.fixture(scope="module")
def head_token(platform, base) -> str:
    """The ward's head, made with the CLI as an operator does, signed in to routing's API."""
    login = f"truong-phuong-{uuid.uuid4().hex[:6]}"
    cli = [sys.executable, "-m", "giaitrinh_platform.cli", "routing"]
    env = platform.service_env("routing")
    subprocess.run([*cli, "keys", "generate"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([*cli, "users", "add", login, "--name", "Trưởng phường Ba Đồn", "--role", "locality_head",
                    "--locality", WARD, "--password-stdin"],
                   input=HEAD_PASSWORD + "\n", text=True, env=env, check=True, capture_output=True, timeout=120)
    return _call(f"{base}/routing/api/v1/auth/token", {"login": login, "password": HEAD_PASSWORD})[1]["token"]


def submit_in_the_browser(page, base, markers: dict[str, str]) -> tuple[str, str]:
    """Both steps of the form, with JavaScript off; the tracking code and the secret link's path."""
    page.goto(urljoin(base, f"/gui-yeu-cau?xa={WARD}"))
    page.get_by_label("Yêu cầu giải trình", exact=True).check()
    page.get_by_label("Lĩnh vực").select_option("construction")
    page.get_by_label("Tiêu đề").fill(TITLE)
    page.get_by_label("Nội dung", exact=True).fill(CONTENT)
    page.get_by_role("button", name="Tiếp tục").click()
    for name, value in markers.items():
        page.locator(f"#field-{name}").fill(value)
    page.locator("#field-wants_notifications").check()
    page.locator("#field-consent_to_publish").check()
    page.get_by_role("button", name="Gửi yêu cầu").click()
    page.wait_for_url(re.compile(r".*/cua-toi/[A-Za-z0-9_-]{43}\?moi=1$"))
    code = page.locator(".receipt__code").inner_text()
    link = page.locator(".receipt__link a").get_attribute("href")
    return code, "/cua-toi/" + link.rsplit("/cua-toi/", 1)[1]


def timeline_step(page, base, code: str, label: str):
    """The public timeline's entry ``label``, once routing's step has reached intake."""
    def shown():
        page.goto(urljoin(base, f"/tra-cuu?ma={code}"))
        entry = page.locator(".timeline li", has_text=label)
        return entry.count() == 1 and entry
    return eventually(shown, timeout=60, what=f"{label!r} on the public timeline")


def assert_dated_with_the_next_deadline(entry, deadline_label: str, page) -> date:
    """The entry says when (today) and by when the next step is due, as the page's deadline does."""
    assert entry.locator("time").get_attribute("datetime")[:10] == date.today().isoformat()
    assert "Bước tiếp theo phải xong trước" in entry.inner_text()
    due = date.fromisoformat(page.locator(".deadline time").get_attribute("datetime")[:10])
    assert deadline_label in page.locator(".deadline").inner_text() and due > date.today()
    return due


def every_event(bootstrap: str, wanted) -> list[dict]:
    """Every event on every topic of the platform, read from the start by a consumer group of its
    own, once ``wanted(events)`` holds (the relays publish a moment after the commit)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"privacy-scan-{uuid.uuid4().hex[:8]}",
                             enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=1000)
    try:
        parts = [TopicPartition(t, p) for t in consumer.topics() if not t.startswith("__")
                 for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        seen: list[dict] = []
        until = time.monotonic() + 60
        while True:
            ends = consumer.end_offsets(parts)
            while any(consumer.position(p) < ends[p] for p in parts):
                for records in consumer.poll(timeout_ms=1000, max_records=2000).values():
                    seen += [{"topic": r.topic, "value": r.value.decode("utf-8", "replace")} for r in records]
            if wanted(seen) or time.monotonic() > until:
                return seen
            time.sleep(0.5)
    finally:
        consumer.close()


def test_a_person_follows_the_timeline_as_the_ward_acts_and_rates_the_answer_and_nothing_of_them_is_public(
        browser, base, platform, head_token):
    markers, joiner = _markers(), _markers()
    context = shots.new_context(browser, PHONE, java_script_enabled=False)  # the gateway's CSP enforced
    try:
        page = context.new_page()
        code, link = submit_in_the_browser(page, base, markers)
        # A neighbour joins it instead of filing it again, and gets a link of their own.
        page.goto(urljoin(base, f"/cung-kien-nghi?ma={code}"))
        page.locator("#field-full_name").fill(joiner["full_name"])
        page.locator("#field-phone").fill(joiner["phone"])
        page.locator("#field-wants_notifications").check()
        page.get_by_role("button", name="Cùng kiến nghị yêu cầu này").click()
        page.wait_for_url(re.compile(r".*/cua-toi/[A-Za-z0-9_-]{43}\?moi=1$"))
        assert "1 người đã cùng kiến nghị" in page.locator(".receipt").inner_text()
        joiner_link = "/cua-toi/" + page.locator(".receipt__link a").get_attribute("href").rsplit("/cua-toi/", 1)[1]
        assert joiner_link != link
        page.goto(urljoin(base, link))
        assert page.locator("form[action$='/danh-gia']").count() == 0  # nothing to rate yet
        # Rating before the answer, as a form sent anyway would: 409, the reason on the page.
        token = page.locator("form[action$='/rut'] input[name=csrf_token]").get_attribute("value")
        early = page.request.post(urljoin(base, f"{link}/danh-gia"),
                                  form={"csrf_token": token, "rating": "5", "comment": "Sớm quá"})
        assert early.status == 409
        assert "Chưa có nội dung giải trình để đánh giá." in early.text()

        # The ward's head acts through routing's API; the person watches the public timeline.
        def the_case():
            _, found = _call(f"{base}/routing/api/v1/cases?per_page=200", token=head_token)
            return next((c for c in found["items"] if c["tracking_code"] == code), None)
        case = f"{base}/routing/api/v1/cases/{eventually(the_case, timeout=60, what='the case in routing')['id']}"
        registered = timeline_step(page, base, code, "Đã vào sổ")
        accept_by = assert_dated_with_the_next_deadline(registered, "Hạn tiếp nhận hoặc từ chối", page)

        assert _call(f"{case}/accept", {}, head_token)[0] == 200
        accepted = timeline_step(page, base, code, "Đã thụ lý yêu cầu")
        answer_by = assert_dated_with_the_next_deadline(accepted, "Hạn giải trình", page)
        assert answer_by > accept_by

        assert _call(f"{case}/extend", {"days": 10, "reason": "Cần đo đạc khoảng cách thực địa."}, head_token)[0] == 200
        extended = timeline_step(page, base, code, "Đã gia hạn thời hạn giải trình")
        assert assert_dated_with_the_next_deadline(extended, "Hạn giải trình", page) > answer_by

        assert _call(f"{case}/answer", {"explanation": "Trạm trộn cách khu dân cư 520 m, đúng quy chuẩn.",
                                        "legal_basis": "QCVN 01:2021/BXD.", "commitments": [],
                                        "meeting_minutes": ""}, head_token)[0] == 200
        answered = timeline_step(page, base, code, "Đã giải trình")
        assert answered.locator("time").get_attribute("datetime")[:10] == date.today().isoformat()
        assert "Trạm trộn cách khu dân cư 520 m, đúng quy chuẩn." in page.locator(".published-answer").inner_text()

        # The link's page with its forms to rate and to disagree (the receipt is checked by
        # test_submit_in_a_browser.py), and the joiner's: nothing serious or critical for axe-core.
        checked = shots.new_context(browser, DESKTOP, bypass_csp=True)  # for axe's script only
        try:
            axe_page = checked.new_page()
            axe_page.goto(urljoin(base, link))
            assert axe_page.locator("form[action$='/danh-gia']").count() == 1
            found = {"requester's page": grave_violations(axe_page)}
            axe_page.goto(urljoin(base, f"{joiner_link}?moi=1"))  # the joiner's receipt, rating and leaving
            assert axe_page.locator("form[action$='/danh-gia']").count() == 1
            found["joiner's page"] = grave_violations(axe_page)
            assert {k: v for k, v in found.items() if v} == {}
        finally:
            checked.close()

        # With the secret link, the person rates the explanation and sees it recorded.
        page.goto(urljoin(base, link))
        page.get_by_label("4 — hài lòng").check()
        page.get_by_label("Nhận xét (không bắt buộc)").fill("Rõ ràng, đúng hạn.")
        page.get_by_role("button", name="Gửi đánh giá").click()
        page.wait_for_url(re.compile(r".*/cua-toi/[A-Za-z0-9_-]{43}\?xong=danh-gia$"))
        assert "Cảm ơn bạn: đánh giá đã được ghi nhận." in page.get_by_role("status").inner_text()
        assert page.locator("form[action$='/danh-gia']").count() == 0  # rated once
    finally:
        context.close()

    secret, joiners_secret = link.rsplit("/", 1)[1], joiner_link.rsplit("/", 1)[1]
    # Nothing of the person on a public page or API answer, whichever the gateway serves.
    public = [f"/tra-cuu?ma={code}", f"/intake/api/v1/requests/{code}", f"/cung-kien-nghi?ma={code}",
              f"/intake/api/v1/similar-requests?locality_code={WARD}&text={quote(TITLE)}",
              f"/tim-kiem?q={quote('trạm trộn')}", f"/intake/api/v1/search?q={quote('tram tron')}",
              f"/open311/v2/requests.json?jurisdiction_id={WARD}", f"/open311/v2/requests.xml?jurisdiction_id={WARD}"]
    pages = {path: _text(urljoin(base, path)) for path in public}
    assert code in pages[f"/open311/v2/requests.json?jurisdiction_id={WARD}"]  # the request is there, alone
    everything = [*markers.values(), secret, joiner["full_name"], joiner["phone"], joiners_secret]
    assert {path: [m for m in everything if m in text] for path, text in pages.items()
            if any(m in text for m in everything)} == {}
    logged = platform.gateway.access_log_path.read_text("utf-8", errors="replace")
    assert secret not in logged and joiners_secret not in logged and "/cua-toi/[secret]" in logged

    # Every event on every topic: the person's data only in their own notices' contact block.
    def rated(seen):
        return any(code in s["value"] and "request.rated" in s["value"] for s in seen)
    seen = every_event(platform.kafka_bootstrap, rated)
    assert rated(seen)
    never = (markers["full_name"], markers["id_number"], markers["address"], joiner["full_name"])
    leaks = []
    for record in seen:
        if not any(m in record["value"] for m in everything):
            continue
        event = json.loads(record["value"])
        outside = {k: v for k, v in event.items() if k != "data"} | {
            "data": {k: v for k, v in event["data"].items() if k != "contact" or event["type"] not in OWN_NOTICES}}
        if any(m in record["value"] for m in never) or any(m in json.dumps(outside, ensure_ascii=False)
                                                           for m in everything):
            leaks.append((record["topic"], event["type"]))
    assert leaks == []
    for contact, own in ((markers["email"], "submitted"), (joiner["phone"], "joined")):
        carried = [json.loads(s["value"]) for s in seen if contact in s["value"]]
        assert [(e["type"], e["data"]["tracking_code"]) for e in carried] == [(f"vn.giaitrinh.request.{own}.v1", code)]

