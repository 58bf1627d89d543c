"""Tệp đính kèm of an explanation: the answer's form (multipart) and the API take up to 5 photos
or PDFs, judged by their content with the platform's one set of rules (a program named .jpg, a
file over 5 MB, a sixth file: refused by name, nothing changed); routing keeps them with the answer,
lists them on the case page and in the case API, serves them to staff of the case's locality
only (another locality's: 404, the public: 401, a forged id: 404), and case.answered says what
each is — never its content."""
from __future__ import annotations

import io
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from giaitrinh_common import auth, topics
from giaitrinh_common.attachments import MAX_FILE_BYTES
from giaitrinh_common.contracts import validate
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.adapters.orm import answer_files
from giaitrinh_routing.domain.case import Actor, Role
from giaitrinh_routing.domain.case_files import access_key_digest
from giaitrinh_routing.service_layer.handlers import ActOnCase
from tests.support.submission import a_pdf, photo_with_location
from tests.unit import test_case_files
from tests.unit import test_console_pages as console
from tests.unit.test_console_pages import OTHER_WARD, Browser, open_case, state_of, text

routing, app, accounts, clock = console.routing, console.app, console.accounts, console.clock  # the fixtures
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400  # a Windows program's header
ANSWER = {"answer-explanation": "Hồ sơ được trả lại vì thiếu bản đồ địa chính.",
          "answer-legal_basis": "Điều 28 Nghị định 101/2024/NĐ-CP"}


def post_files(browser: Browser, path: str, form: dict, files: list[tuple[str, bytes]], field: str):
    values = MultiDict([(auth.CSRF_FIELD, browser.csrf), *form.items()]
                       + [(field, FileStorage(io.BytesIO(data), filename=name)) for name, data in files])
    boundary, body = encode_multipart(values)
    return browser.client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                               headers={"Accept": "text/html", "Accept-Language": "en"})


@pytest.fixture
def accepted(routing, app, accounts):
    """A case accepted by the official who will answer it."""
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    assert official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"}).status_code == 303
    return case_id, official


def kept_files(routing) -> list[dict]:
    with routing.storage.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(answer_files).order_by(answer_files.c.position)).mappings()]


def answered_events(routing) -> list[CloudEvent]:
    routing.worker().relay.relay_all()
    return [e for e in (CloudEvent.from_json(r.value) for r in routing.bus.records(topics.CASES))
            if e.type == "vn.giaitrinh.case.answered.v1"]


def test_an_answer_with_a_photo_and_a_pdf_keeps_them_lists_them_and_names_them_in_the_event(routing, accepted):
    case_id, official = accepted
    pdf = a_pdf()
    done = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
                      [("biên bản làm việc.jpg", photo_with_location()), ("quyết định.pdf", pdf)],
                      "answer-attachments")
    assert done.status_code == 303 and state_of(routing, case_id) == "answered"
    photo, document = kept_files(routing)
    assert b"MarkerPhoneCo" not in photo["content"] and document["content"] == pdf  # the photo's EXIF is gone
    html = text(official.get(f"/console/ho-so/{case_id}"))
    for kept in (photo, document):
        assert f'href="/console/tep-giai-trinh/{kept["id"]}"' in html
    assert "biên bản làm việc.jpg" in html and f"application/pdf · {len(pdf)} B" in html
    [event] = answered_events(routing)
    validate(event)
    listed = event.data["details"]["attachments"]
    assert [{k: v for k, v in f.items() if k != "key"} for f in listed] == [
        {"id": kept["id"], "filename": kept["filename"], "media_type": kept["media_type"], "size": kept["size"]}
        for kept in (photo, document)]
    # Each with the key that opens it to the requester; routing keeps only the key's digest.
    assert [access_key_digest(f["key"]) for f in listed] == [kept["access_key_sha256"] for kept in (photo, document)]
    assert len(event.to_json()) < len(pdf) + 3000  # what the files are, never their bytes


def test_staff_of_the_cases_locality_download_an_answers_file_and_no_one_else(routing, app, accounts, accepted):
    case_id, official = accepted
    post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
               [("Đơn trả lời.pdf", a_pdf())], "answer-attachments")
    [kept] = kept_files(routing)
    supervisor = Browser(app, accounts, "hdnd", role="supervisor", unit=None, body="hdnd")
    got = supervisor.client.get(f"/console/tep-giai-trinh/{kept['id']}")
    assert got.status_code == 200 and got.data == kept["content"] and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment; filename=\"Don tra loi.pdf\"")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    elsewhere = Browser(app, accounts, "can-bo-khac", localities=(OTHER_WARD,))
    hidden = elsewhere.client.get(f"/console/tep-giai-trinh/{kept['id']}")
    assert hidden.status_code == 404
    assert hidden.json == elsewhere.client.get(f"/console/tep-giai-trinh/{uuid.uuid4()}").json
    anonymous = app.test_client().get(f"/console/tep-giai-trinh/{kept['id']}")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "sign_in_required"


@pytest.mark.parametrize("forged", ["1", "..%2F..%2Fetc%2Fpasswd", "A" * 36, "x" * 300,
                                    "00000000-0000-0000-0000-000000000000"])
def test_a_forged_answer_file_id_is_404(routing, accepted, forged):
    case_id, official = accepted
    post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
               [("a.pdf", a_pdf())], "answer-attachments")
    resp = official.client.get(f"/console/tep-giai-trinh/{forged}")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_a_program_named_as_a_photo_is_refused_beside_the_file_input_and_nothing_is_answered(routing, accepted):
    case_id, official = accepted
    refused = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
                         [("anh.jpg", EXE)], "answer-attachments")
    assert refused.status_code == 422
    html = text(refused)
    assert 'id="field-answer-attachments-error"' in html and "this file&#39;s content is neither" in html
    assert state_of(routing, case_id) == "accepted" and kept_files(routing) == [] and answered_events(routing) == []
    assert ANSWER["answer-explanation"] in html  # what was typed stays


def test_a_file_over_5_mb_is_refused_by_name_with_413_as_intake_refuses_a_requests(routing, accepted):
    case_id, official = accepted
    big = a_pdf() + b"%" * MAX_FILE_BYTES
    refused = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
                         [("to.pdf", big)], "answer-attachments")
    assert refused.status_code == 413 and "Each file may be at most 5 MB." in text(refused)
    assert state_of(routing, case_id) == "accepted" and kept_files(routing) == []
    by_api = api_answer(official, case_id, {"explanation": "Đã kiểm tra.", "legal_basis": "Luật"},
                        [("a.pdf", a_pdf()), ("to.pdf", big)])
    assert by_api.status_code == 413
    assert [(d["field"], d["code"]) for d in by_api.json["error"]["details"]] == [("attachments[1]", "file_too_large")]
    assert state_of(routing, case_id) == "accepted" and kept_files(routing) == []


def test_a_sixth_file_is_refused_and_none_is_kept(routing, accepted):
    case_id, official = accepted
    refused = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER},
                         [(f"{n}.pdf", a_pdf()) for n in range(6)], "answer-attachments")
    assert refused.status_code == 422 and "At most 5 files may be attached." in text(refused)
    assert state_of(routing, case_id) == "accepted" and kept_files(routing) == []


def test_a_large_body_is_refused_for_any_other_action(routing, accepted):
    case_id, official = accepted
    resp = post_files(official, f"/console/ho-so/{case_id}/extend", {"version": "1", "extend-days": "5"},
                      [("to.pdf", b"%" * (2 * 1024 * 1024))], "extend-attachments")
    assert resp.status_code == 413 and state_of(routing, case_id) == "accepted"


# -- the API --------------------------------------------------------------------------------------
def api_answer(browser: Browser, case_id: str, fields: dict, files: list[tuple[str, bytes]]):
    values = MultiDict(list(fields.items()) + [("attachments", FileStorage(io.BytesIO(data), filename=name))
                                               for name, data in files])
    boundary, body = encode_multipart(values)
    return browser.client.post(f"/api/v1/cases/{case_id}/answer", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}",
                               headers={"X-CSRF-Token": browser.csrf})


def test_the_api_answers_with_files_in_multipart_and_lists_them(routing, accepted):
    case_id, official = accepted
    fields = {"explanation": ANSWER["answer-explanation"], "legal_basis": ANSWER["answer-legal_basis"],
              "commitments": json.dumps([{"content": "Bổ sung bản đồ", "due_on": "2026-12-20"}]),
              "expected_version": "1"}
    resp = api_answer(official, case_id, fields, [("so-do.png", photo_with_location(fmt="PNG"))])
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "answered" and len(resp.json["commitments"]) == 1
    [listed] = resp.json["answer_attachments"]
    assert (listed["filename"], listed["media_type"], listed["case_version"]) == ("so-do.png", "image/png", 2)
    assert listed["url"] == f"/console/tep-giai-trinh/{listed['id']}"
    assert official.client.get(listed["url"]).status_code == 200


def test_the_api_refuses_a_disguised_file_too_many_files_and_an_unknown_field_by_name(routing, accepted):
    case_id, official = accepted
    fields = {"explanation": "Đã kiểm tra.", "legal_basis": "Luật"}
    disguised = api_answer(official, case_id, fields, [("anh.jpg", EXE)])
    assert disguised.status_code == 422
    assert {(d["field"], d["code"]) for d in disguised.json["error"]["details"]} == {
        ("attachments[0]", "unsupported_file_type")}
    many = api_answer(official, case_id, fields, [(f"{n}.pdf", a_pdf()) for n in range(6)])
    assert many.status_code == 422 and many.json["error"]["details"][0]["code"] == "too_many_files"
    unknown = api_answer(official, case_id, {**fields, "signed_by": "x"}, [])
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["field"] == "signed_by"
    bad_json = api_answer(official, case_id, {**fields, "commitments": "[{"}, [])
    assert bad_json.status_code == 422 and bad_json.json["error"]["details"][0]["field"] == "commitments"
    assert state_of(routing, case_id) == "accepted" and kept_files(routing) == []


def test_the_api_still_takes_a_json_answer_without_files_within_the_services_limit(routing, accepted):
    case_id, official = accepted
    too_big = official.client.post(f"/api/v1/cases/{case_id}/answer", headers={"X-CSRF-Token": official.csrf},
                                   data=json.dumps({"explanation": "x" * (2 * 1024 * 1024)}),
                                   content_type="application/json")
    assert too_big.status_code == 413
    resp = official.client.post(f"/api/v1/cases/{case_id}/answer", headers={"X-CSRF-Token": official.csrf},
                                json={"explanation": "Đã kiểm tra.", "legal_basis": "Luật"})
    assert resp.status_code == 200 and resp.json["answer_attachments"] == []


def test_files_sent_to_an_action_not_open_are_refused_by_the_state_not_read(routing, app, accounts):
    case_id = open_case(routing)  # received: no answer yet
    official = Browser(app, accounts, "can-bo")
    resp = api_answer(official, case_id, {"explanation": "x", "legal_basis": "y"}, [("anh.jpg", EXE)])
    assert resp.status_code == 409 and resp.json["error"]["code"] == "action_not_allowed"


def test_the_answer_form_is_multipart_with_a_file_input(routing, accepted):
    case_id, official = accepted
    html = text(official.get(f"/console/ho-so/{case_id}"))
    form = re.search(r'<form[^>]*id="action-answer"[^>]*>', html).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input[^>]*type="file"[^>]*name="answer-attachments"[^>]*multiple', html)


# -- published: the public reads the files of an explanation the requester agreed to publish -----
intake, portal = test_case_files.intake, test_case_files.portal  # the fixtures


def submitted_to_routing(routing, portal, intake, consent: bool) -> tuple[str, str]:
    """A request submitted on the portal (with or without consent to publish), its case opened in
    routing: (the tracking code, the case's id)."""
    form = {**test_case_files.REQUEST, **({"consent_to_publish": True} if consent else {})}
    resp = portal.post("/api/v1/requests", json=form)
    assert resp.status_code == 201, resp.json
    intake.worker().relay.relay_all()
    [event] = [CloudEvent.from_json(r.value) for r in intake.bus.records(topics.REQUESTS)]
    assert event.data.get("consent_to_publish", False) is consent
    return resp.json["tracking_code"], test_case_files.deliver_to_routing(routing, event)


def answered_with_a_file(routing, app, accounts, case_id: str, name: str = "Trả lời ông Nguyễn Văn An.pdf") -> dict:
    official = Browser(app, accounts, "can-bo")
    assert official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"}).status_code == 303
    done = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "1", **ANSWER}, [(name, a_pdf())],
                      "answer-attachments")
    assert done.status_code == 303
    [kept] = kept_files(routing)
    return kept


def to_intake(routing, intake) -> None:
    routing.worker().relay.relay_all()
    consumer = intake.consumer()
    while consumer.run_once(timeout=0.05):
        pass
    consumer.close()


def test_a_published_answers_files_are_linked_on_the_timeline_and_served_to_anyone_without_their_names(
        routing, app, accounts, portal, intake):
    code, case_id = submitted_to_routing(routing, portal, intake, consent=True)
    kept = answered_with_a_file(routing, app, accounts, case_id)
    to_intake(routing, intake)
    answer = portal.get(f"/api/v1/requests/{code}").json["answer"]
    assert answer["published"] and answer["files"] == [
        {"url": f"/tep-giai-trinh/{kept['id']}", "media_type": "application/pdf", "size": kept["size"]}]
    page = portal.get(f"/tra-cuu?ma={code}", headers={"Accept": "text/html", "Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert f'href="/tep-giai-trinh/{kept["id"]}"' in html and "File 1" in html
    public = app.test_client().get(f"/tep-giai-trinh/{kept['id']}")
    assert public.status_code == 200 and public.data == kept["content"]
    assert public.headers["Content-Disposition"] == "attachment; filename=giai-trinh.pdf"
    for shown in (json.dumps(answer, ensure_ascii=False), html, str(public.headers)):
        assert "Nguyễn Văn An" not in shown and "Tra loi" not in shown  # the file's own name stays with staff


def test_without_the_requesters_consent_an_answers_files_stay_with_staff(routing, app, accounts, portal, intake):
    code, case_id = submitted_to_routing(routing, portal, intake, consent=False)
    kept = answered_with_a_file(routing, app, accounts, case_id)
    to_intake(routing, intake)
    answer = portal.get(f"/api/v1/requests/{code}").json["answer"]
    assert not answer["published"] and "files" not in answer
    assert "/tep-giai-trinh/" not in portal.get(f"/tra-cuu?ma={code}", headers={"Accept": "text/html"}).get_data(
        as_text=True)
    public = app.test_client().get(f"/tep-giai-trinh/{kept['id']}")
    assert public.status_code == 404
    assert public.json == app.test_client().get(f"/tep-giai-trinh/{uuid.uuid4()}").json
    staff = Browser(app, accounts, "truong-phong", role="unit_head")
    assert staff.client.get(f"/console/tep-giai-trinh/{kept['id']}").status_code == 200


def test_a_case_registered_before_consent_was_told_publishes_no_file(routing, app, accounts):
    case_id = open_case(routing)  # a request.submitted without consent_to_publish
    kept = answered_with_a_file(routing, app, accounts, case_id)
    assert app.test_client().get(f"/tep-giai-trinh/{kept['id']}").status_code == 404


@pytest.mark.parametrize("forged", ["1", "..%2F..%2Fetc%2Fpasswd", "A" * 36, "x" * 300])
def test_a_forged_public_file_id_is_404(app, forged):
    resp = app.test_client().get(f"/tep-giai-trinh/{forged}")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_after_an_upheld_dispute_only_the_new_answers_files_are_public(routing, app, accounts):
    case_id = open_case(routing, consent_to_publish=True)
    first = answered_with_a_file(routing, app, accounts, case_id, name="lan-1.pdf")
    public = app.test_client()
    assert public.get(f"/tep-giai-trinh/{first['id']}").status_code == 200
    requester = Actor("requester", Role.REQUESTER, frozenset({console.WARD}), None)
    routing.act(ActOnCase(case_id, "dispute", requester, {"reason": "Chưa trả lời câu hỏi chính."}))
    supervisor = Actor("hdnd", Role.SUPERVISOR, frozenset({console.WARD}), None)
    routing.act(ActOnCase(case_id, "decide-dispute", supervisor, {"outcome": "upheld", "reason": "Có căn cứ."}))
    # Reopened, not yet answered again: the portal still shows the first answer, and its file.
    assert public.get(f"/tep-giai-trinh/{first['id']}").status_code == 200
    official = Browser(app, accounts, "can-bo-2")
    again = post_files(official, f"/console/ho-so/{case_id}/answer", {"version": "4", **ANSWER},
                       [("lan-2.pdf", a_pdf())], "answer-attachments")
    assert again.status_code == 303, text(again)[:2000]
    [second] = [f for f in kept_files(routing) if f["id"] != first["id"]]
    assert public.get(f"/tep-giai-trinh/{second['id']}").status_code == 200
    assert public.get(f"/tep-giai-trinh/{first['id']}").status_code == 404
    staff = official.client.get(f"/console/tep-giai-trinh/{first['id']}")
    assert staff.status_code == 200  # the case's record keeps it for those who handle it
