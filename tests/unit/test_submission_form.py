"""The submission form (gửi yêu cầu), through Flask's test client as a browser sends it: step 1
checked, similar requests shown before step 2, the request stored with its files and its event
before the 303 to the requester's page, every problem beside its field in both languages, and
the privacy scan: marker values of a requester's personal data appear on no public page, in no
public API answer and in no event but the requester's own."""
import io
import json
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from giaitrinh_common.auth import CSRF_COOKIE
from giaitrinh_common.settings import SettingError
from giaitrinh_intake.adapters.orm import request_attachments, requests, submission_details
from giaitrinh_intake.domain.attachments import MAX_FILE_BYTES
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.entrypoints.submission import FORM_MAX_BODY
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.settings import IntakeSettings
from giaitrinh_platform.services import SERVICES
from giaitrinh_routing.domain.case_files import CaseFile
from tests.support import submission
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.factories import LOCALITY, served_province, teach_registry
from tests.support.submission import (
    BROWSER,
    CSRF,
    GPS_IFD,
    MARKERS,
    a_pdf,
    events,
    multipart,
    photo_with_location,
    step_two,
)
from tests.unit.test_portal_pages import deliver, page

intake, client = submission.intake, submission.client  # the fixtures
# An explanation's file and the key that opens it to the requester (case.answered carries it).
ANSWER_FILE_ID, FILE_KEY_MARKER = "5d0c2a8e-1f3b-4c6d-9e7f-0a1b2c3d4e5f", "FileKeyMarkerZqxv_" + "k" * 20


def stored(intake, table):
    with intake.storage.engine.connect() as conn:
        return conn.execute(sa.select(table)).mappings().all()


def test_the_form_starts_with_the_commune_or_ward_chosen_from_the_address(client):
    resp = client.get(f"/gui-yeu-cau?xa={LOCALITY}", headers=BROWSER)
    assert resp.status_code == 200
    doc = page(resp)
    [chosen] = [a for t, a in doc.elements if t == "option" and "selected" in a and a.get("value") == LOCALITY]
    assert chosen
    assert doc.find("input", name="csrf_token", value=CSRF)
    assert "Gửi yêu cầu" in doc.text


def test_step_one_with_problems_names_each_field_in_vietnamese(client):
    resp = client.post("/gui-yeu-cau", data={"csrf_token": CSRF, "step": "check", "locality_code": "999999",
                                              "kind": "feedback", "field": "land", "title": "", "content": ""},
                       headers=BROWSER)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    for field in ("locality_code", "title", "content"):
        assert f'id="field-{field}-error"' in html
    assert "Hãy nhập tiêu đề." in html and "Mã xã/phường không thuộc địa bàn được phục vụ." in html


def test_similar_requests_of_the_same_commune_come_before_step_two(client, intake):
    first = intake.submit(SubmitRequest(kind="feedback", channel="api", field="environment", locality_code=LOCALITY,
                                        title="Rác thải ở chợ", content="Rác thải không được thu gom ở chợ nhiều ngày"))
    resp = client.post("/gui-yeu-cau", data={
        "csrf_token": CSRF, "step": "check", "locality_code": LOCALITY, "kind": "feedback",
        "field": "environment", "title": "Rac thai cho", "content": "rac thai o cho khong duoc thu gom"},
        headers=BROWSER)
    assert resp.status_code == 200
    doc = page(resp)
    assert first.tracking_code in doc.text
    assert doc.find("a", href=f"/cung-kien-nghi?ma={first.tracking_code}")
    # Step 2 carries what step 1 said, and asks for the files.
    assert doc.find("input", type="file", name="attachments")
    assert "rac thai o cho khong duoc thu gom" in resp.get_data(as_text=True)


def test_a_request_with_a_photo_and_a_pdf_is_stored_with_its_event_before_the_303(client, intake):
    resp = client.post("/gui-yeu-cau", data={
        **step_two(consent_to_publish="1"),
        "attachments": [(io.BytesIO(photo_with_location()), "anh.jpg"), (io.BytesIO(a_pdf()), "quyet-dinh.pdf")]},
        content_type="multipart/form-data", headers=BROWSER)
    assert resp.status_code == 303
    assert re.fullmatch(r"/cua-toi/[A-Za-z0-9_-]{43}\?moi=1", resp.headers["Location"])
    [row] = stored(intake, requests)
    [details] = stored(intake, submission_details)
    assert details["consent_to_publish"] and details["decision_concerned"].startswith("Giấy phép")
    files = stored(intake, request_attachments)
    assert [f["media_type"] for f in files] == ["image/jpeg", "application/pdf"]
    assert [f["filename"] for f in files] == ["anh.jpg", "quyet-dinh.pdf"]
    [event] = events(intake)
    assert event.type == "vn.giaitrinh.request.submitted.v1" and event.data["request_id"] == row["id"]


def test_a_photo_is_kept_without_where_it_was_taken(client, intake):
    client.post("/gui-yeu-cau", data={**step_two(), "attachments": [(io.BytesIO(photo_with_location()), "a.jpg")]},
                content_type="multipart/form-data", headers=BROWSER)
    [kept] = stored(intake, request_attachments)
    exif = Image.open(io.BytesIO(kept["content"])).getexif()
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert b"MarkerPhoneCo" not in kept["content"]


def test_the_receipt_shows_the_code_and_the_secret_link_once_and_stores_only_its_hash(client, intake):
    location = client.post("/gui-yeu-cau", data=step_two(), headers=BROWSER).headers["Location"]
    secret = location.split("/")[2].split("?")[0]
    receipt = page(client.get(location, headers=BROWSER))
    [row] = stored(intake, requests)
    assert row["tracking_code"] in receipt.text and f"/cua-toi/{secret}" in receipt.text
    [details] = stored(intake, submission_details)
    assert secret not in str(dict(details)) and len(details["link_sha256"]) == 64
    # Later visits show the request without the receipt's words.
    later = client.get(f"/cua-toi/{secret}", headers={**BROWSER, "Accept-Language": "en"})
    assert "Your own link" not in later.get_data(as_text=True)


def test_a_program_named_as_a_photo_is_refused_beside_the_file_field(client, intake):
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 512
    resp = client.post("/gui-yeu-cau", data={**step_two(), "attachments": [(io.BytesIO(exe), "anh.jpg")]},
                       content_type="multipart/form-data", headers=BROWSER)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Chỉ nhận ảnh (JPEG, PNG) hoặc tài liệu PDF" in html
    assert stored(intake, requests) == [] and events(intake) == []


def test_a_file_over_5_mb_is_413_beside_the_file_field_and_nothing_is_stored(client, intake):
    # A real photo's header and more bytes than the limit: the size is judged before the content.
    big = photo_with_location() + b"\x00" * MAX_FILE_BYTES
    resp = client.post("/gui-yeu-cau", **multipart(step_two(), [("a.jpg", big)]), headers=BROWSER)
    assert resp.status_code == 413 and "Mỗi tệp tối đa 5 MB." in resp.get_data(as_text=True)
    assert stored(intake, requests) == [] and events(intake) == []


def test_only_the_form_takes_a_body_past_the_services_limit(client, intake):
    """Five photos of 5 MB fit the form's own limit; the JSON API keeps the service's 1 MiB."""
    two_mb = multipart(step_two(), [("a.pdf", b"\x00" * (2 * 1024 * 1024))])
    assert client.post("/gui-yeu-cau", **two_mb, headers=BROWSER).status_code == 422  # read, judged: no PDF
    assert client.post("/api/v1/requests", data=b" " * (2 * 1024 * 1024),
                       content_type="application/json").status_code == 413
    # Past the form's own limit: refused by its declared length, before anything is read.
    assert client.post("/gui-yeu-cau", data=b"-" * (FORM_MAX_BODY + 1), content_type="multipart/form-data; boundary=x",
                       headers=BROWSER).status_code == 413


def test_coordinates_outside_vietnam_are_refused_on_their_field(client, intake):
    resp = client.post("/gui-yeu-cau", data=step_two(latitude="48.8566", longitude="2.3522"), headers=BROWSER)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="field-latitude-error"' in html and "Tọa độ nằm ngoài lãnh thổ Việt Nam." in html
    assert stored(intake, requests) == []


def test_an_accountability_request_needs_a_name_but_feedback_may_be_anonymous(client, intake):
    anonymous = {"full_name": "", "address": "", "phone": ""}
    refused = client.post("/gui-yeu-cau", data=step_two(**anonymous), headers=BROWSER)
    assert refused.status_code == 422 and 'id="field-full_name-error"' in refused.get_data(as_text=True)
    assert 'id="similar-title"' not in refused.get_data(as_text=True)  # not looked for again
    accepted = client.post("/gui-yeu-cau", data=step_two(kind="feedback", **anonymous), headers=BROWSER)
    assert accepted.status_code == 303


def test_script_in_the_text_is_stored_as_written_and_escaped_on_the_page(client, intake):
    title = "<script>alert(1)</script> Cấp phép"
    location = client.post("/gui-yeu-cau", data=step_two(title=title), headers=BROWSER).headers["Location"]
    [row] = stored(intake, requests)
    assert row["title"] == title
    html = client.get(f"/tra-cuu?ma={row['tracking_code']}", headers=BROWSER).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert location


def test_a_form_without_the_csrf_token_is_refused(client, intake):
    resp = client.post("/gui-yeu-cau", data={**step_two(), "csrf_token": ""}, headers=BROWSER)
    assert resp.status_code == 400 and stored(intake, requests) == []


def test_the_explanation_is_public_only_with_the_requesters_consent(client, intake, bus):
    codes = {}
    for consent in (True, False):
        extra = {"consent_to_publish": "1"} if consent else {}
        client.post("/gui-yeu-cau", data=step_two(**extra), headers=BROWSER)
        row = [r for r in stored(intake, requests) if r["tracking_code"] not in codes.values()][0]
        codes[consent] = row["tracking_code"]
        history = CaseHistory(request_id=row["id"], tracking_code=row["tracking_code"], received=MONDAY)
        history.accept()
        history.answer(explanation="Giấy phép đúng quy hoạch phân khu đã duyệt.")
        deliver(intake, bus, *history.events)
    published = client.get(f"/api/v1/requests/{codes[True]}").json["answer"]
    assert published["published"] and published["explanation"] == "Giấy phép đúng quy hoạch phân khu đã duyệt."
    assert "Giấy phép đúng quy hoạch phân khu" in page(client.get(f"/tra-cuu?ma={codes[True]}", headers=BROWSER)).text
    withheld = client.get(f"/api/v1/requests/{codes[False]}").json["answer"]
    assert not withheld["published"] and "explanation" not in withheld
    withheld_page = page(client.get(f"/tra-cuu?ma={codes[False]}", headers=BROWSER))
    assert "Giấy phép đúng quy hoạch phân khu" not in withheld_page.text


def test_no_marker_of_personal_data_is_public_nor_in_any_event_but_the_requesters_own(client, intake, bus):
    form = step_two(**{k: v for k, v in MARKERS.items()}, wants_notifications="1", consent_to_publish="1")
    secret = client.post("/gui-yeu-cau", data=form, headers=BROWSER).headers["Location"].split("/")[2].split("?")[0]
    [row] = stored(intake, requests)
    code = row["tracking_code"]
    client.post("/cung-kien-nghi", headers=BROWSER, data={
        "csrf_token": CSRF, "ma": code, "full_name": "Joiner Zqxv", "email": "joiner.zqxv@example.vn",
        "wants_notifications": "1"})
    history = CaseHistory(request_id=row["id"], tracking_code=code, received=MONDAY)
    history.accept()
    # The explanation's file comes with the key that opens it to the requester: their page only.
    history.answer(files=[CaseFile(ANSWER_FILE_ID, "Thư trả lời.pdf", "application/pdf", 1234)],
                   file_keys={ANSWER_FILE_ID: FILE_KEY_MARKER})
    deliver(intake, bus, *history.events)
    client.post("/api/v1/requester/rating", json={"secret": secret, "rating": 4, "comment": "Rõ ràng"})
    client.post("/api/v1/requester/dispute", json={"secret": secret, "reason": "Chưa trả lời câu hỏi chính"})
    public = [
        client.get("/", headers=BROWSER), client.get(f"/tra-cuu?ma={code}", headers=BROWSER),
        client.get(f"/gui-yeu-cau?xa={LOCALITY}", headers=BROWSER),
        client.get(f"/cung-kien-nghi?ma={code}", headers=BROWSER),
        client.get(f"/api/v1/requests/{code}"),
        client.get(f"/api/v1/similar-requests?locality_code={LOCALITY}&text=" + form["content"]),
        client.post("/gui-yeu-cau", data={**step_two(), "step": "check"}, headers=BROWSER),
    ]
    markers = [*MARKERS.values(), "Joiner Zqxv", "joiner.zqxv@example.vn", FILE_KEY_MARKER]
    assert f"/tep-giai-trinh/{ANSWER_FILE_ID}" in public[1].get_data(as_text=True)  # published: the public link
    for resp in public:
        text = resp.get_data(as_text=True)
        assert resp.status_code < 400
        assert not [m for m in markers if m in text], resp.request.path
    assert code in public[-1].get_data(as_text=True)  # the similar request was shown, without its requester
    # The key reached intake (so the scan above means something): the requester's own page links it.
    assert FILE_KEY_MARKER in client.get(f"/cua-toi/{secret}", headers=BROWSER).get_data(as_text=True)
    produced = events(intake)
    kinds = ("submitted", "joined", "rated", "disputed")
    assert {e.type for e in produced} == {f"vn.giaitrinh.request.{t}.v1" for t in kinds}
    never = (MARKERS["full_name"], MARKERS["id_number"], MARKERS["address"], "Joiner Zqxv", FILE_KEY_MARKER)
    for event in produced:
        raw = event.to_json().decode("utf-8")
        assert not [m for m in never if m in raw], event.type
        # A contact only in the contact block of the events that carry the person's own notices.
        outside = json.dumps({k: v for k, v in event.data.items() if k != "contact"}, ensure_ascii=False)
        assert not [m for m in markers if m in outside], event.type
        assert "contact" not in event.data or event.type in {"vn.giaitrinh.request.submitted.v1",
                                                             "vn.giaitrinh.request.joined.v1"}


API_FORM = {k: v for k, v in step_two().items() if k not in ("csrf_token", "step")}


def test_the_api_takes_a_multipart_submission_with_files_and_answers_the_link_once(client, intake):
    resp = client.post("/api/v1/requests", **multipart(API_FORM, [("anh.jpg", photo_with_location())]),
                       headers={"X-CSRF-Token": CSRF})
    assert resp.status_code == 201 and resp.json["requester_link"].startswith("/cua-toi/")
    [kept] = stored(intake, request_attachments)
    assert kept["media_type"] == "image/jpeg" and b"MarkerPhoneCo" not in kept["content"]
    [event] = events(intake)
    assert event.data["channel"] == "api"


def test_the_api_names_a_disguised_file_and_an_unknown_field_in_both_languages(client, intake):
    exe = b"MZ\x90\x00" + b"\x00" * 300
    resp = client.post("/api/v1/requests", **multipart({**API_FORM, "nickname": "x"}, [("anh.jpg", exe)]),
                       headers={"X-CSRF-Token": CSRF})
    assert resp.status_code == 422
    details = {d["field"]: d for d in resp.json["error"]["details"]}
    assert details["attachments[0]"]["code"] == "unsupported_file_type"
    assert details["attachments[0]"]["message"]["vi"] and details["attachments[0]"]["message"]["en"]
    assert details["nickname"]["code"] == "unknown_field"
    assert stored(intake, requests) == []


def test_a_multipart_submission_without_the_csrf_token_is_refused(client, intake):
    resp = client.post("/api/v1/requests", **multipart(API_FORM, []))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "csrf_failed"


# -- the map: an enhancement of the two coordinate fields, only where a tile server is set --------
STEP_ONE = {"csrf_token": CSRF, "step": "check", "locality_code": LOCALITY, "kind": "feedback", "field": "environment",
            "title": "Cây đổ chắn đường", "content": "Cây đổ chắn ngang đường từ sáng nay, xe không qua được"}
TILES = "https://tiles.example.vn/{z}/{x}/{y}.png"


def test_without_a_tile_server_the_form_has_the_coordinate_fields_and_no_map(client):
    text = client.post("/gui-yeu-cau", data=STEP_ONE, headers=BROWSER).get_data(as_text=True)
    assert 'name="latitude"' in text and 'name="longitude"' in text
    assert "map-picker" not in text


def test_with_a_tile_server_the_form_offers_the_map_hidden_until_its_script_draws_it(intake, bus):
    env = {"INTAKE_DATABASE_URL": intake.settings.database_url, "INTAKE_MAP_TILES": TILES,
           "INTAKE_MAP_ATTRIBUTION": "© Bản đồ nền <thử>"}
    with_map = SERVICES["intake"].bootstrap(settings=IntakeSettings.from_env(env), bus=bus)
    try:
        c = create_app(with_map).test_client()
        c.set_cookie(CSRF_COOKIE, CSRF)
        teach_registry(with_map, served_province("44"))
        text = c.post("/gui-yeu-cau", data=STEP_ONE, headers=BROWSER).get_data(as_text=True)
        box = re.search(r'<div class="map-picker" hidden ([^>]*)>', text)
        assert box and f'data-tiles="{TILES}"' in box.group(1)
        assert 'data-centre-latitude="16.8163"' in box.group(1)
        assert "© Bản đồ nền &lt;thử&gt;" in text  # the credit, escaped as any text
        assert '<script src="/static/map-picker.js" defer></script>' in text
        script = c.get("/static/map-picker.js")
        assert script.status_code == 200 and b"data-tiles" in script.data
        script.close()
    finally:
        with_map.close()


@pytest.mark.parametrize("tiles, why", [("ftp://tiles.example.vn/{z}/{x}/{y}.png", "http"),
                                        ("https://{s}.tiles.example.vn/{z}/{x}/{y}.png", "fixed host"),
                                        ("https://tiles.example.vn/{z}/{x}.png", "{y}")])
def test_a_tile_server_the_form_could_not_use_is_refused_at_start_naming_the_setting(tiles, why):
    with pytest.raises(SettingError, match=re.escape(why)):
        IntakeSettings.from_env({"INTAKE_MAP_TILES": tiles})


def test_the_map_opens_only_on_a_place_in_vietnam():
    with pytest.raises(SettingError, match="INTAKE_MAP_CENTRE must be in Vietnam"):
        IntakeSettings.from_env({"INTAKE_MAP_TILES": TILES, "INTAKE_MAP_CENTRE": "48.85,2.35"})
