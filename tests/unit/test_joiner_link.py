"""A person who joins a request (cùng kiến nghị) gets a secret link of their own, shown once and
kept only as its hash: with it they follow the request, leave it at any time (no longer counted,
request.join_withdrawn names the request.joined event their notices came from, the case goes on)
and rate the explanation once (request.rated, rated_by "joiner"); the dispute stays the
requester's (403). Their link rides only in their own contact block, when they asked to be told."""
import sqlalchemy as sa

from giaitrinh_common import contracts
from giaitrinh_intake.adapters.orm import request_joiners
from giaitrinh_intake.domain import requester_link
from tests.support import submission
from tests.support.submission import BROWSER, CSRF
from tests.unit.test_portal_pages import page
from tests.unit.test_requester_link import answered, of_type, submitted

intake, client = submission.intake, submission.client  # the fixtures


def joined(client, code: str, **contact) -> tuple[dict, str]:
    """(the API's answer, the joiner's secret) of a person joining through the JSON API."""
    resp = client.post(f"/api/v1/requests/{code}/join", json=contact)
    assert resp.status_code == 201
    link = resp.json["requester_link"]
    assert link.startswith(requester_link.LINK_PREFIX)
    return resp.json, link.removeprefix(requester_link.LINK_PREFIX)


def test_a_joiner_gets_a_link_of_their_own_and_only_its_hash_is_kept(client, intake):
    _, code, requesters = submitted(client)
    answer, secret = joined(client, code)
    assert answer["joiner_count"] == 1 and requester_link.well_formed(secret) and secret != requesters
    with intake.storage.engine.connect() as conn:
        [row] = conn.execute(sa.select(request_joiners)).mappings().all()
    assert row["link_sha256"] == requester_link.digest(secret) and secret not in str(dict(row))
    assert secret not in client.get(f"/api/v1/requests/{code}").get_data(as_text=True)
    assert secret not in client.get(f"/tra-cuu?ma={code}", headers=BROWSER).get_data(as_text=True)


def test_a_joiners_link_rides_only_in_their_own_contact_when_they_asked_to_be_told(client, intake):
    _, code, _ = submitted(client)
    _, told = joined(client, code, email="nguoi1@example.vn", wants_notifications=True)
    _, silent = joined(client, code, email="nguoi2@example.vn")
    first, second = of_type(intake, "joined")
    for event in (first, second):
        contracts.validate(event)
    assert first.data["contact"] == {"email": "nguoi1@example.vn", "requester_link": f"/cua-toi/{told}"}
    assert "contact" not in second.data and silent not in second.to_json().decode()


def test_joining_on_the_page_leads_to_the_joiners_own_page_showing_the_link_once(client, intake):
    _, code, _ = submitted(client)
    resp = client.post("/cung-kien-nghi", data={"csrf_token": CSRF, "ma": code}, headers=BROWSER)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("?moi=1")
    secret = resp.headers["Location"].split("/cua-toi/")[1].split("?")[0]
    first = page(client.get(resp.headers["Location"], headers=BROWSER))
    assert f"Bạn đã cùng kiến nghị yêu cầu {code}" in first.text and "1 người đã cùng kiến nghị" in first.text
    assert first.find("p", **{"class": "receipt__link"})
    assert [a["href"] for a in first.find("a") if a.get("href", "").endswith(f"/cua-toi/{secret}")]
    later = page(client.get(f"/cua-toi/{secret}", headers=BROWSER))
    assert not later.find("p", **{"class": "receipt__link"}) and "Bạn đã cùng kiến nghị yêu cầu này." in later.text
    assert later.find("form", action=f"/cua-toi/{secret}/rut")  # to leave, before the answer too
    assert not later.find("form", action=f"/cua-toi/{secret}/danh-gia")


def test_a_joiner_leaves_at_any_time_is_no_longer_counted_and_the_case_goes_on(client, intake, bus):
    request_id, code, requesters = submitted(client)
    joined(client, code)
    _, secret = joined(client, code, phone="0912345678", wants_notifications=True)
    answered(intake, bus, request_id, code)  # after the answer too
    resp = client.post("/api/v1/requester/withdraw", json={"secret": secret})
    assert resp.status_code == 200 and resp.json == {"tracking_code": code, "withdrawn": True}
    public = client.get(f"/api/v1/requests/{code}").json
    assert public["joiners"] == 1 and public["status"] == "answered"
    [left] = of_type(intake, "join_withdrawn")
    contracts.validate(left)
    telling = of_type(intake, "joined")[-1]
    assert left.key == request_id and left.data["joined_event_id"] == telling.id
    assert left.data["joiner_count"] == 1 and "0912345678" not in left.to_json().decode()
    assert of_type(intake, "withdrawn") == []  # the request itself stands
    again = client.post("/api/v1/requester/withdraw", json={"secret": secret})
    assert again.status_code == 410 and again.json["error"]["code"] == "link_used"
    assert client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 3}).status_code == 410
    assert client.post("/api/v1/requester/rating", json={"secret": requesters, "rating": 5}).status_code == 201


def test_a_joiner_rates_the_explanation_once_after_it_is_given(client, intake, bus):
    request_id, code, requesters = submitted(client)
    _, secret = joined(client, code)
    early = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 4})
    assert early.status_code == 409 and early.json["error"]["code"] == "not_answered_yet"
    answered(intake, bus, request_id, code)
    assert client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 2,
                                                         "comment": "Chưa thỏa đáng"}).status_code == 201
    again = client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 5})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_rated"
    assert client.post("/api/v1/requester/rating", json={"secret": requesters, "rating": 5}).status_code == 201
    ratings = of_type(intake, "rated")
    for event in ratings:
        contracts.validate(event)
    assert [(e.data["rating"], e.data["rated_by"]) for e in ratings] == [(2, "joiner"), (5, "requester")]


def test_only_the_requester_disputes_a_joiners_link_is_403(client, intake, bus):
    request_id, code, _ = submitted(client)
    _, secret = joined(client, code)
    answered(intake, bus, request_id, code)
    resp = client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": "Chưa rõ"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "requester_only"
    assert resp.json["error"]["message"]["vi"] and resp.json["error"]["message"]["en"]
    assert of_type(intake, "disputed") == []
    mine = page(client.get(f"/cua-toi/{secret}", headers=BROWSER))
    assert mine.find("form", action=f"/cua-toi/{secret}/danh-gia")
    assert not mine.find("form", action=f"/cua-toi/{secret}/khong-dong-y")


def test_leaving_on_the_page_says_so_and_ends_the_link(client, intake):
    _, code, _ = submitted(client)
    _, secret = joined(client, code)
    resp = client.post(f"/cua-toi/{secret}/rut", data={"csrf_token": CSRF}, headers=BROWSER)
    assert resp.status_code == 303
    after = page(client.get(resp.headers["Location"], headers=BROWSER))
    assert "Bạn đã rút khỏi yêu cầu này" in after.text and not after.find("form", action=f"/cua-toi/{secret}/rut")
    again = client.post(f"/cua-toi/{secret}/rut", data={"csrf_token": CSRF}, headers=BROWSER)
    assert again.status_code == 410 and "Bạn đã rút khỏi yêu cầu này" in again.get_data(as_text=True)
