"""Similar requests first: a new text is compared, diacritics and case aside, with the open or
answered requests of the same commune or ward; ended ones and other communes' are not offered,
and a person may join one instead of filing it again (request.joined, counted on the timeline)."""
import pytest

from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.similar import Candidate, fold, similar_requests
from giaitrinh_intake.domain.tracking import new_tracking_code
from tests.support import submission
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.factories import LOCALITY
from tests.support.submission import events
from tests.unit.test_portal_pages import deliver

intake, client = submission.intake, submission.client  # the fixtures
OTHER_LOCALITY = "18859"  # another ward of Quảng Trị

GARBAGE = Candidate("GT-AAAA-AAAA-A", "Rác thải ở chợ", "Rác thải ở chợ Rác thải không được thu gom nhiều ngày",
                    "accepted")
LAND = Candidate("GT-BBBB-BBBB-B", "Lấn chiếm đất công", "Lấn chiếm đất công ở tổ 3, đề nghị xử lý", "answered")
ROAD = Candidate("GT-CCCC-CCCC-C", "Đường hỏng", "Đường Lê Lợi bị hỏng nặng sau mưa lũ", "registered")


def test_text_is_compared_without_diacritics_or_case():
    assert fold("  Đường LÊ   Lợi ") == "duong le loi"
    [found] = similar_requests("rac thai o cho khong duoc thu gom", [GARBAGE, LAND, ROAD])
    assert found.tracking_code == GARBAGE.tracking_code and found.score >= 70


def test_the_closest_comes_first_and_unrelated_requests_are_not_offered():
    found = similar_requests("Lấn chiếm đất công tổ 3 đề nghị phường xử lý việc lấn chiếm", [ROAD, GARBAGE, LAND])
    assert [f.tracking_code for f in found] == [LAND.tracking_code]
    assert similar_requests("xin cấp giấy phép xây dựng nhà ở", [ROAD, GARBAGE, LAND]) == []


def test_a_text_of_one_or_two_words_matches_nothing():
    assert similar_requests("rác thải", [GARBAGE]) == []


@pytest.mark.parametrize("status", ["closed", "refused", "withdrawn", "merged"])
def test_an_ended_request_is_not_offered(status):
    ended = Candidate(GARBAGE.tracking_code, GARBAGE.title, GARBAGE.text, status)
    assert similar_requests("rac thai o cho khong duoc thu gom", [ended]) == []


def file(intake, locality=LOCALITY, title="Rác thải ở chợ", content="Rác thải không được thu gom ở chợ nhiều ngày"):
    return intake.submit(SubmitRequest(kind="feedback", channel="api", field="environment", locality_code=locality,
                                       title=title, content=content))


def test_the_api_offers_only_the_same_communes_open_requests(client, intake):
    here = file(intake)
    file(intake, locality=OTHER_LOCALITY)
    resp = client.get(f"/api/v1/similar-requests?locality_code={LOCALITY}&text=rac thai cho khong thu gom")
    assert resp.status_code == 200
    assert [s["tracking_code"] for s in resp.json["similar"]] == [here.tracking_code]
    assert set(resp.json["similar"][0]) == {"tracking_code", "title", "status", "score", "status_url"}


def test_a_request_ended_by_routing_is_no_longer_offered(client, intake, bus):
    here = file(intake)
    history = CaseHistory(request_id=here.request_id, tracking_code=here.tracking_code, received=MONDAY)
    history.refuse()
    deliver(intake, bus, *history.events)
    resp = client.get(f"/api/v1/similar-requests?locality_code={LOCALITY}&text=rac thai cho khong thu gom")
    assert resp.json["similar"] == []


def test_an_unknown_commune_is_404_naming_the_field(client):
    resp = client.get("/api/v1/similar-requests?locality_code=999999&text=rac thai cho")
    assert resp.status_code == 404 and resp.json["error"]["details"][0]["field"] == "locality_code"


def test_joining_counts_the_person_on_the_timeline_and_tells_routing(client, intake):
    here = file(intake)
    for n in (1, 2):
        resp = client.post(f"/api/v1/requests/{here.tracking_code}/join",
                           json={"email": f"nguoi{n}@example.vn", "wants_notifications": n == 1})
        assert resp.status_code == 201 and resp.json["joiner_count"] == n
    assert client.get(f"/api/v1/requests/{here.tracking_code}").json["joiners"] == 2
    joined = [e for e in events(intake) if e.type == "vn.giaitrinh.request.joined.v1"]
    assert [e.data["joiner_count"] for e in joined] == [1, 2]
    # The first asked to be told and gave an address; the second did not ask: no contact leaves.
    assert joined[0].data["contact"]["email"] == "nguoi1@example.vn" and "contact" not in joined[1].data
    assert all(e.key == here.request_id for e in joined)


def test_joining_from_the_form_page_shows_the_count(client, intake):
    here = file(intake)
    resp = client.post("/cung-kien-nghi", data={"csrf_token": submission.CSRF, "ma": here.tracking_code},
                       headers=submission.BROWSER)
    assert resp.status_code == 303  # to the joiner's own page (tests/unit/test_joiner_link.py)
    shown = client.get(resp.headers["Location"], headers=submission.BROWSER)
    assert "1 người đã cùng kiến nghị" in shown.get_data(as_text=True)


def test_an_ended_request_cannot_be_joined(client, intake, bus):
    here = file(intake)
    history = CaseHistory(request_id=here.request_id, tracking_code=here.tracking_code, received=MONDAY)
    history.refuse()
    deliver(intake, bus, *history.events)
    resp = client.post(f"/api/v1/requests/{here.tracking_code}/join", json={})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_joinable"


def test_joining_an_unknown_request_is_404_and_bad_contact_is_422(client, intake):
    assert client.post(f"/api/v1/requests/{new_tracking_code()}/join", json={}).status_code == 404
    here = file(intake)
    resp = client.post(f"/api/v1/requests/{here.tracking_code}/join",
                       json={"email": "not-an-address", "wants_notifications": True, "nickname": "x"})
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} == {"nickname"}
    resp = client.post(f"/api/v1/requests/{here.tracking_code}/join", json={"email": "not-an-address"})
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "email"


def test_a_request_its_requester_withdrew_is_no_longer_offered(client, intake):
    answer = client.post("/api/v1/requests", json={
        "kind": "feedback", "field": "environment", "locality_code": LOCALITY, "title": "Rác thải ở chợ",
        "content": "Rác thải không được thu gom ở chợ nhiều ngày"}).json
    secret = answer["requester_link"].removeprefix("/cua-toi/")
    assert client.post("/api/v1/requester/withdraw", json={"secret": secret}).status_code == 200
    resp = client.get(f"/api/v1/similar-requests?locality_code={LOCALITY}&text=rac thai cho khong thu gom")
    assert resp.json["similar"] == []
