"""Tệp đính kèm of a case: the requester's files stay in intake, which lists what they are (id,
name, type, size — never their content) in ``request.submitted`` and hands one to signed-in staff
of the request's locality only (another locality's: 404, the public: 401, a forged id: 404);
routing keeps that list with the case, and its case page and case API show it with links to
intake's path."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image

from giaitrinh_common import auth, topics
from giaitrinh_common.contracts import validate
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.entrypoints.web import create_app as intake_app
from giaitrinh_routing.adapters.credentials import Ed25519Signer
from tests.support.factories import migrated_runtime
from tests.support.submission import a_pdf, multipart, photo_with_location
from tests.unit import test_console_pages as console
from tests.unit.test_console_pages import OTHER_WARD, WARD, Browser, open_case, text

routing, app, accounts, clock = console.routing, console.app, console.accounts, console.clock  # the fixtures
CSRF = "c" * 43
REQUEST = {"kind": "accountability_request", "field": "land", "locality_code": WARD,
           "title": "Cấp giấy chứng nhận quyền sử dụng đất", "content": "Vì sao hồ sơ của tôi bị trả lại?",
           "requester_type": "citizen", "full_name": "Nguyễn Văn An", "address": "12 Lý Thường Kiệt"}


@pytest.fixture
def intake(bus, sqlite_url, routing):
    # Routing signs the tokens; intake verifies them with the same public key.
    rt = migrated_runtime("intake", sqlite_url("intake"), bus,
                          GIAITRINH_AUTH_PUBLIC_KEY=routing.settings.auth_public_key)
    yield rt
    rt.close()


@pytest.fixture
def portal(intake):
    client = intake_app(intake).test_client()
    client.set_cookie(auth.CSRF_COOKIE, CSRF)
    return client


@pytest.fixture
def staff(routing):
    signer = Ed25519Signer(routing.settings.auth_private_key)

    def bearer(role=auth.OFFICIAL, localities=(WARD,)) -> dict[str, str]:
        token = signer.sign(auth.token_claims(
            subject="acc-1", role=role, localities=localities, unit_code="dia-chinh", body=None, name="Cán bộ",
            session_id=None, issued_at=int(datetime.now(UTC).timestamp()), lifetime=60))
        return {"Authorization": f"Bearer {token}"}
    return bearer


def submit_with_files(portal, intake, files) -> CloudEvent:
    resp = portal.post("/api/v1/requests", **multipart(REQUEST, files), headers={"X-CSRF-Token": CSRF})
    assert resp.status_code == 201, resp.json
    intake.worker().relay.relay_all()
    [event] = [CloudEvent.from_json(r.value) for r in intake.bus.records(topics.REQUESTS)]
    return event


def deliver_to_routing(routing, event: CloudEvent) -> str:
    with routing.unit_of_work() as uow:
        assert uow.claim("routing", event)
        routing.handlers()[event.type](event, uow)
        uow.commit()
        return uow.cases.for_request(event.subject).id


# -- intake: the event and the staff's download ---------------------------------------------------
def test_request_submitted_lists_each_file_by_id_name_type_and_size_and_never_its_content(portal, intake):
    pdf = a_pdf()
    event = submit_with_files(portal, intake, [("ảnh hiện trạng.jpg", photo_with_location()), ("quyết định.pdf", pdf)])
    validate(event)  # the schema lists them
    photo, document = event.data["attachments"]
    assert set(photo) == {"id", "filename", "media_type", "size"}
    assert (photo["filename"], photo["media_type"]) == ("ảnh hiện trạng.jpg", "image/jpeg")
    assert (document["filename"], document["media_type"], document["size"]) == ("quyết định.pdf",
                                                                                 "application/pdf", len(pdf))
    assert len(event.to_json()) < len(pdf) + 2000  # the bytes themselves never ride in the event
    assert str(uuid.UUID(photo["id"])) == photo["id"]


def test_a_request_without_files_lists_none(portal, intake):
    resp = portal.post("/api/v1/requests", json=REQUEST)
    assert resp.status_code == 201
    intake.worker().relay.relay_all()
    [record] = intake.bus.records(topics.REQUESTS)
    assert "attachments" not in CloudEvent.from_json(record.value).data


def test_staff_of_the_requests_locality_download_its_file_as_kept_with_its_proven_type(portal, intake, staff):
    event = submit_with_files(portal, intake, [("anh.png", photo_with_location(fmt="PNG"))])
    [kept] = event.data["attachments"]
    resp = portal.get(f"/console/tep-yeu-cau/{kept['id']}", headers=staff())
    assert resp.status_code == 200
    assert resp.mimetype == "image/png" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment") and "anh.png" in resp.headers[
        "Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    assert len(resp.data) == kept["size"] and b"MarkerPhoneCo" not in resp.data  # the EXIF-free copy
    assert Image.open(io.BytesIO(resp.data)).format == "PNG"
    admin = portal.get(f"/console/tep-yeu-cau/{kept['id']}", headers=staff(role=auth.PROVINCIAL_ADMIN, localities=()))
    assert admin.status_code == 200


def test_a_vietnamese_file_name_survives_the_download_header(portal, intake, staff):
    event = submit_with_files(portal, intake, [("Đơn đề nghị.pdf", a_pdf())])
    [kept] = event.data["attachments"]
    resp = portal.get(f"/console/tep-yeu-cau/{kept['id']}", headers=staff())
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=\"Don de nghi.pdf\"; filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B.pdf")


def test_staff_of_another_locality_get_404_as_for_no_file(portal, intake, staff):
    event = submit_with_files(portal, intake, [("anh.jpg", photo_with_location())])
    [kept] = event.data["attachments"]
    resp = portal.get(f"/console/tep-yeu-cau/{kept['id']}", headers=staff(localities=(OTHER_WARD,)))
    assert resp.status_code == 404
    assert resp.json == portal.get(f"/console/tep-yeu-cau/{uuid.uuid4()}", headers=staff()).json
    assert set(resp.json["error"]["message"]) == {"vi", "en"}


def test_the_public_gets_no_file_of_a_request(portal, intake):
    event = submit_with_files(portal, intake, [("anh.jpg", photo_with_location())])
    [kept] = event.data["attachments"]
    resp = portal.get(f"/console/tep-yeu-cau/{kept['id']}")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "sign_in_required"
    page = portal.get(f"/console/tep-yeu-cau/{kept['id']}", headers={"Accept": "text/html"})
    assert page.status_code == 401 and page.mimetype == "text/html" and b"\xff\xd8" not in page.data


@pytest.mark.parametrize("forged", ["1", "../../etc/passwd", "%2e%2e%2fapi", "A" * 36, "x" * 5000,
                                    "00000000-0000-0000-0000-000000000000"])
def test_a_forged_file_id_is_404(portal, intake, staff, forged):
    submit_with_files(portal, intake, [("anh.jpg", photo_with_location())])
    resp = portal.get(f"/console/tep-yeu-cau/{forged}", headers=staff())
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"


def test_an_upper_case_form_of_a_real_id_is_not_the_file(portal, intake, staff):
    event = submit_with_files(portal, intake, [("anh.jpg", photo_with_location())])
    [kept] = event.data["attachments"]
    assert portal.get(f"/console/tep-yeu-cau/{kept['id'].upper()}", headers=staff()).status_code == 404


# -- routing: the case keeps the list ------------------------------------------------------------
def test_the_case_page_lists_the_requests_files_with_links_to_intake(routing, app, accounts, portal, intake):
    pdf = a_pdf()
    event = submit_with_files(portal, intake, [("ảnh hiện trạng.jpg", photo_with_location()), ("quyết định.pdf", pdf)])
    case_id = deliver_to_routing(routing, event)
    html = text(Browser(app, accounts, "can-bo").get(f"/console/ho-so/{case_id}"))
    photo, document = event.data["attachments"]
    for kept in (photo, document):
        assert f'href="/console/tep-yeu-cau/{kept["id"]}"' in html
    assert "ảnh hiện trạng.jpg" in html and "quyết định.pdf" in html
    assert html.index("ảnh hiện trạng.jpg") < html.index("quyết định.pdf")  # in the order attached
    assert f"application/pdf · {len(pdf)} B" in html  # a few hundred bytes, as people read sizes


def test_a_case_page_in_vietnamese_writes_the_size_with_a_decimal_comma(routing, app, accounts):
    case_id = open_case(routing, attachments=[{"id": str(uuid.uuid4()), "filename": "to-trinh.pdf",
                                               "media_type": "application/pdf", "size": 1_468_006}])
    official = Browser(app, accounts, "can-bo")
    vi = official.client.get(f"/console/ho-so/{case_id}", headers={"Accept": "text/html"}).get_data(as_text=True)
    en = text(official.get(f"/console/ho-so/{case_id}"))
    assert "1,4 MB" in vi and "1.4 MB" in en


def test_a_case_without_files_says_the_requester_attached_none(routing, app, accounts):
    case_id = open_case(routing)
    html = text(Browser(app, accounts, "can-bo").get(f"/console/ho-so/{case_id}"))
    assert "The requester attached no file." in html and "/console/tep-yeu-cau/" not in html


def test_the_case_api_lists_the_files_to_those_who_may_see_the_case(routing, app, accounts):
    listed = {"id": str(uuid.uuid4()), "filename": "so-do.png", "media_type": "image/png", "size": 2048}
    case_id = open_case(routing, attachments=[listed])
    supervisor = Browser(app, accounts, "hdnd", role="supervisor", unit=None, body="hdnd")
    resp = supervisor.client.get(f"/api/v1/cases/{case_id}")
    assert resp.status_code == 200
    assert resp.json["attachments"] == [{**listed, "url": f"/console/tep-yeu-cau/{listed['id']}"}]
    elsewhere = Browser(app, accounts, "can-bo-khac", localities=(OTHER_WARD,))
    assert elsewhere.client.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert text(elsewhere.get(f"/console/ho-so/{case_id}")).count("so-do.png") == 0
