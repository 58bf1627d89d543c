"""The requester's secret link: shown once, stored only as its hash, and the key to withdraw
before the answer (request.withdrawn), rate the answer 1–5 (request.rated; 409 before it) and
dispute it (request.disputed) — each once; a wrong link is 404, a used one 410; events carry
nothing of the requester."""
import sqlalchemy as sa

from giaitrinh_intake.adapters.orm import submission_details
from giaitrinh_intake.domain import requester_link
from tests.support import submission
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.submission import BROWSER, CSRF, events, step_two
from tests.unit.test_portal_pages import deliver, page

intake, client = submission.intake, submission.client  # the fixtures
VALID = {"kind": "accountability_request", "field": "land", "locality_code": "18880", "title": "Cấp phép",
         "content": "Vì sao công trình bên cạnh được cấp phép?", "full_name": "Nguyễn Văn An", "phone": "0912345678"}


def submitted(client) -> tuple[str, str, str]:
    """(request id, tracking code, secret) of a request sent through the JSON API."""
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201
    link = resp.json["requester_link"]
    assert link.startswith(requester_link.LINK_PREFIX)
    return resp.json["request_id"], resp.json["tracking_code"], link.removeprefix(requester_link.LINK_PREFIX)


def answered(intake, bus, request_id, code) -> None:
    history = CaseHistory(request_id=request_id, tracking_code=code, received=MONDAY)
    history.accept()
    history.answer()
    deliver(intake, bus, *history.events)


def of_type(intake, kind):
    return [e for e in events(intake) if e.type == f"vn.giaitrinh.request.{kind}.v1"]


def test_only_the_hash_of_the_secret_is_stored(client, intake):
    _, _, secret = submitted(client)
    with intake.storage.engine.connect() as conn:
        [row] = conn.execute(sa.select(submission_details)).mappings().all()
    assert row["link_sha256"] == requester_link.digest(secret) and secret not in str(dict(row))


def test_the_link_is_not_shown_by_the_public_lookup(client):
    _, code, secret = submitted(client)
    assert secret not in client.get(f"/api/v1/requests/{code}").get_data(as_text=True)
    assert secret not in client.get(f"/tra-cuu?ma={code}", headers=BROWSER).get_data(as_text=True)


def test_withdrawing_before_the_answer_tells_routing_and_uses_the_link_up(client, intake):
    request_id, code, secret = submitted(client)
    resp = client.post("/api/v1/requester/withdraw", json={"secret": secret, "reason": "Đã được giải quyết"})
    assert resp.status_code == 200 and resp.json == {"tracking_code": code, "withdrawn": True}
    [event] = of_type(intake, "withdrawn")
    assert event.key == request_id and event.data["reason"] == "Đã được giải quyết"
    assert set(event.data) == {"request_id", "tracking_code", "locality_code", "withdrawn_at", "reason"}
    again = client.post("/api/v1/requester/withdraw", json={"secret": secret})
    assert again.status_code == 410 and again.json["error"]["code"] == "link_used"
    rate = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 5})
    assert rate.status_code == 410


def test_a_wrong_or_malformed_link_is_404_in_both_languages(client):
    submitted(client)
    for secret in ("x" * 43, "short", "", "ä" * 43):
        resp = client.post("/api/v1/requester/withdraw", json={"secret": secret})
        assert resp.status_code == 404
        error = resp.json["error"]
        assert error["code"] == "unknown_link" and error["message"]["vi"] and error["message"]["en"]
    assert client.get("/cua-toi/" + "x" * 43, headers=BROWSER).status_code == 404


def test_rating_before_the_answer_is_409(client, intake):
    _, _, secret = submitted(client)
    resp = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 4})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_answered_yet"
    assert of_type(intake, "rated") == []


def test_the_answer_is_rated_once_from_1_to_5_with_a_comment(client, intake, bus):
    request_id, code, secret = submitted(client)
    answered(intake, bus, request_id, code)
    for bad in (0, 6, "5", True, 4.5):
        resp = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": bad})
        assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "rating"
    resp = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 4, "comment": "Rõ ràng"})
    assert resp.status_code == 201
    [event] = of_type(intake, "rated")
    assert (event.data["rating"], event.data["comment"]) == (4, "Rõ ràng")
    again = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 1})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_rated"


def test_the_answer_is_disputed_once_with_a_reason_and_cannot_then_be_withdrawn(client, intake, bus):
    request_id, code, secret = submitted(client)
    before = client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": "Chưa rõ"})
    assert before.status_code == 409
    answered(intake, bus, request_id, code)
    missing = client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": " "})
    assert missing.status_code == 422 and missing.json["error"]["details"][0]["field"] == "reason"
    resp = client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": "Chưa trả lời câu hỏi chính"})
    assert resp.status_code == 201
    [event] = of_type(intake, "disputed")
    assert event.data["reason"] == "Chưa trả lời câu hỏi chính"
    assert client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": "Lần nữa"}).status_code == 409
    late = client.post("/api/v1/requester/withdraw", json={"secret": secret})
    assert late.status_code == 409 and late.json["error"]["code"] == "too_late_to_withdraw"


def test_unknown_fields_and_wrong_types_are_named(client):
    _, _, secret = submitted(client)
    resp = client.post("/api/v1/requester/withdraw", json={"secret": 12, "why": "x"})
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} == {"secret", "why"}


def test_the_requesters_page_offers_withdrawal_then_rating_and_dispute(client, intake, bus):
    location = client.post("/gui-yeu-cau", data=step_two(), headers=BROWSER).headers["Location"]
    secret = location.split("/")[2].split("?")[0]
    mine = page(client.get(f"/cua-toi/{secret}", headers=BROWSER))
    assert mine.find("form", action=f"/cua-toi/{secret}/rut")
    assert not mine.find("form", action=f"/cua-toi/{secret}/danh-gia")
    with intake.unit_of_work() as uow:
        request_id = uow.submissions.request_id_by_link(requester_link.digest(secret))
        code = uow.requests.get(request_id).tracking_code
    answered(intake, bus, request_id, code)
    mine = page(client.get(f"/cua-toi/{secret}", headers=BROWSER))
    assert not mine.find("form", action=f"/cua-toi/{secret}/rut")
    resp = client.post(f"/cua-toi/{secret}/danh-gia", data={"csrf_token": CSRF, "rating": "5"}, headers=BROWSER)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("xong=danh-gia")
    after = page(client.get(resp.headers["Location"], headers=BROWSER))
    assert "đánh giá đã được ghi nhận" in after.text and not after.find("form", action=f"/cua-toi/{secret}/danh-gia")
    refused = client.post(f"/cua-toi/{secret}/khong-dong-y", data={"csrf_token": CSRF, "reason": ""}, headers=BROWSER)
    assert refused.status_code == 422 and 'id="field-reason-error"' in refused.get_data(as_text=True)


def test_withdrawing_on_the_page_ends_the_link(client, intake):
    location = client.post("/gui-yeu-cau", data=step_two(), headers=BROWSER).headers["Location"]
    secret = location.split("/")[2].split("?")[0]
    resp = client.post(f"/cua-toi/{secret}/rut", data={"csrf_token": CSRF, "reason": ""}, headers=BROWSER)
    assert resp.status_code == 303
    assert "Yêu cầu của bạn đã được rút." in page(client.get(resp.headers["Location"], headers=BROWSER)).text
    again = client.post(f"/cua-toi/{secret}/rut", data={"csrf_token": CSRF}, headers=BROWSER)
    assert again.status_code == 410 and "không còn dùng được" in again.get_data(as_text=True)
