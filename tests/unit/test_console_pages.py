"""The officials' console, page by page (Flask's test client, signed in with the cookie as a
browser is): the inbox by next deadline with its filters and pages, each person's view (an
official their unit's, a supervisor the locality, read only), the case page offering only the
actions open now, each action's form with its CSRF token and the case's version, refusals shown
on the page (409 for a changed state or version, 422 naming the field, in both languages),
answer templates, commitments completed with evidence, and bulk actions case by case."""
from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime

import pyotp
import pytest

from giaitrinh_common import auth
from giaitrinh_routing.adapters import inbox_queries
from giaitrinh_routing.entrypoints.console import answer_templates
from giaitrinh_routing.entrypoints.web import create_app
from tests.support.factories import request_submitted
from tests.support.signed_in import OTHER_WARD, WARD, Clock, add_account, open_session, signing_keys, signing_routing

MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def routing(bus, sqlite_url, tmp_path, clock):
    with signing_routing(bus, sqlite_url("routing"), signing_keys(tmp_path), clock) as runtime:
        yield runtime


@pytest.fixture
def app(routing):
    return create_app(routing)


@pytest.fixture
def accounts(app):
    return app.extensions["giaitrinh_accounts"]


class Browser:
    """A test client signed in with the cookies, posting forms with the page's CSRF token."""

    def __init__(self, app, accounts, login, role="official", localities=(WARD,), unit="dia-chinh", body=None):
        made = add_account(accounts, login, role, localities, unit, body)
        self.client, self.login, self.id = app.test_client(), login, made.account.id
        self.sign_in()

    def sign_in(self):
        """Sign in again (the token lives a minute; the tests move the clock by days)."""
        self.csrf = open_session(self.client, self.login).json["csrf_token"]

    def get(self, path, **kw):
        return self.client.get(path, headers={"Accept": "text/html", "Accept-Language": "en"}, **kw)

    def post(self, path, data, *, csrf=True):
        form = {auth.CSRF_FIELD: self.csrf, **data} if csrf else data
        return self.client.post(path, data=form, headers={"Accept": "text/html", "Accept-Language": "en"})


def open_case(routing, locality=WARD, field="land", submitted="2026-11-02T01:00:00+00:00",
              code="GT-7X9V-FH1S-T", **data) -> str:
    event = request_submitted(submitted_at=submitted, kind="accountability_request", locality_code=locality,
                              field=field, tracking_code=code, **data)
    with routing.unit_of_work() as uow:
        assert uow.claim("routing", event)
        routing.handlers()[event.type](event, uow)
        uow.commit()
        return uow.cases.for_request(event.subject).id


def version_of(routing, case_id) -> int:
    with routing.unit_of_work() as uow:
        return uow.cases.get(case_id).version


def state_of(routing, case_id) -> str:
    with routing.unit_of_work() as uow:
        return uow.cases.get(case_id).state.value


def text(resp) -> str:
    return resp.get_data(as_text=True)


def action_forms(html: str) -> list[str]:
    return re.findall(r'id="action-([a-z-]+)"', html)


# -- the inbox ----------------------------------------------------------------------------------
def test_the_inbox_lists_the_officials_unit_cases_soonest_deadline_first(routing, app, accounts):
    later = open_case(routing, submitted="2026-11-04T01:00:00+00:00", code="GT-AAAA-AAAA-A")
    sooner = open_case(routing, submitted="2026-11-02T01:00:00+00:00", code="GT-BBBB-BBBB-B")
    open_case(routing, field="personnel", code="GT-CCCC-CCCC-C")  # another unit's (van-phong)
    open_case(routing, locality=OTHER_WARD, code="GT-DDDD-DDDD-D")  # another locality's
    page = Browser(app, accounts, "can-bo").get("/console/")
    assert page.status_code == 200
    html = text(page)
    assert html.index("GT-BBBB-BBBB-B") < html.index("GT-AAAA-AAAA-A")
    assert "GT-CCCC-CCCC-C" not in html and "GT-DDDD-DDDD-D" not in html
    assert f"/console/ho-so/{sooner}" in html and f"/console/ho-so/{later}" in html
    assert 'name="case_id"' not in html  # bulk actions are the heads'


def test_a_supervisor_reads_the_whole_locality_and_is_offered_no_action(routing, app, accounts):
    land = open_case(routing, code="GT-AAAA-AAAA-A")
    open_case(routing, field="personnel", code="GT-CCCC-CCCC-C")
    supervisor = Browser(app, accounts, "hdnd", role="supervisor", unit=None, body="hdnd")
    html = text(supervisor.get("/console/"))
    assert "GT-AAAA-AAAA-A" in html and "GT-CCCC-CCCC-C" in html
    assert action_forms(text(supervisor.get(f"/console/ho-so/{land}"))) == []


def test_the_console_menu_links_intakes_recording_page_for_those_its_policy_lets_record(routing, app, accounts):
    from giaitrinh_intake.entrypoints.recorded import RECORDERS

    assert RECORDERS.roles == auth.RECORDING_ROLES  # the menu's rule is the page's
    link = '<a href="/console/tiep-nhan">Record a request</a>'
    assert link in text(Browser(app, accounts, "can-bo").get("/console/"))
    # Every staff role records what its people bring in (intake's policy): a supervisor too.
    supervisor = Browser(app, accounts, "hdnd", role="supervisor", unit=None, body="hdnd")
    assert link in text(supervisor.get("/console/"))
    vietnamese = Browser(app, accounts, "can-bo.vi").client.get("/console/", headers={"Accept": "text/html"})
    assert '<a href="/console/tiep-nhan">Tiếp nhận yêu cầu</a>' in vietnamese.get_data(as_text=True)


def test_the_inbox_filters_by_state_field_and_overdue(routing, app, accounts, clock):
    first = open_case(routing, code="GT-AAAA-AAAA-A")
    open_case(routing, field="construction", code="GT-BBBB-BBBB-B")
    head = Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")
    assert head.post(f"/console/ho-so/{first}/accept", {"version": "0"}).status_code == 303
    accepted = text(head.get("/console/?state=accepted"))
    assert "GT-AAAA-AAAA-A" in accepted and "GT-BBBB-BBBB-B" not in accepted
    construction = text(head.get("/console/?field=construction"))
    assert "GT-BBBB-BBBB-B" in construction and "GT-AAAA-AAAA-A" not in construction
    assert "GT-" not in text(head.get("/console/?overdue=1")).split("<tbody>")[-1].split("</tbody>")[0]
    clock.move(days=10)  # past the five working days to accept the second, not the 15 days to answer
    head.sign_in()
    overdue = text(head.get("/console/?overdue=1"))
    assert "GT-BBBB-BBBB-B" in overdue and "GT-AAAA-AAAA-A" not in overdue
    bad = head.get("/console/?state=lost")
    assert bad.status_code == 400 and "state" in text(bad)


def test_the_inbox_pages_through_many_cases(routing, app, accounts):
    for i in range(30):
        open_case(routing, code=f"GT-AAAA-AA{i:02d}-A")
    official = Browser(app, accounts, "can-bo")
    first, second = text(official.get("/console/")), text(official.get("/console/?page=2"))
    assert first.count('href="/console/ho-so/') == 25 and second.count('href="/console/ho-so/') == 5
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_the_inbox_filters_by_the_channel_the_request_came_by(routing, app, accounts):
    open_case(routing, code="GT-AAAA-AAAA-A", channel="hotline")
    open_case(routing, code="GT-BBBB-BBBB-B", channel="portal")
    head = Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")
    hotline = text(head.get("/console/?channel=hotline"))
    assert "GT-AAAA-AAAA-A" in hotline and "GT-BBBB-BBBB-B" not in hotline
    assert re.search(r'<option value="hotline" selected', hotline)
    assert "GT-" not in text(head.get("/console/?channel=mail")).split('role="status"')[-1]
    in_vietnamese = head.client.get("/console/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Kênh tiếp nhận" in in_vietnamese and "Đường dây nóng" in in_vietnamese
    bad = head.get("/console/?channel=fax")
    assert bad.status_code == 400 and "channel" in text(bad)


def test_past_its_count_the_inbox_says_more_than_and_no_page_reads_as_the_last(routing, app, accounts,
                                                                              monkeypatch):
    monkeypatch.setattr(inbox_queries, "PAGES_AHEAD", 1)  # a page counts to the end of the next one
    for i in range(12):
        open_case(routing, code=f"GT-AAAA-AA{i:02d}-A")
    official = Browser(app, accounts, "can-bo")
    first = text(official.get("/console/?per_page=5"))
    assert "More than 10 cases" in first and 'rel="next"' in first
    assert 'class="pagination__gap"' in first.split('aria-current="page"')[-1].split('rel="next"')[0]
    last = text(official.get("/console/?per_page=5&page=3"))  # a short page: the count is exact
    assert "12 cases" in last and "More than" not in last and 'rel="next"' not in last
    assert last.count('href="/console/ho-so/') == 2
    beyond = text(official.get("/console/?per_page=5&page=9"))
    assert "12 cases" in beyond and "No case matches." in beyond


# -- the case page --------------------------------------------------------------------------------
def test_the_case_page_offers_only_the_actions_open_now_to_this_person(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    assert action_forms(text(official.get(f"/console/ho-so/{case_id}"))) == ["accept", "refuse", "transfer", "merge"]
    head = Browser(app, accounts, "truong-phong", role="unit_head")
    assert "assign" in action_forms(text(head.get(f"/console/ho-so/{case_id}")))
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    after = action_forms(text(official.get(f"/console/ho-so/{case_id}")))
    assert "extend" in after and "answer" in after and "accept" not in after


def test_another_localitys_case_is_404_on_the_page_and_for_its_forms(routing, app, accounts):
    elsewhere = open_case(routing, locality=OTHER_WARD)
    official = Browser(app, accounts, "can-bo")
    assert official.get(f"/console/ho-so/{elsewhere}").status_code == 404
    assert official.post(f"/console/ho-so/{elsewhere}/accept", {"version": "0"}).status_code == 404
    assert state_of(routing, elsewhere) == "received"


def test_a_case_is_extended_once_and_the_second_extension_is_refused_on_the_page(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    assert official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"}).status_code == 303
    done = official.post(f"/console/ho-so/{case_id}/extend",
                         {"version": "1", "extend-days": "10", "extend-reason": "Cần xác minh thực địa."})
    assert done.status_code == 303
    assert "extend" not in action_forms(text(official.get(f"/console/ho-so/{case_id}")))  # no longer offered
    again = official.post(f"/console/ho-so/{case_id}/extend",
                          {"version": "2", "extend-days": "5", "extend-reason": "Lần nữa."})
    html = text(again)
    assert again.status_code == 422
    assert 'id="field-extend-days-error"' in html and 'aria-invalid="true"' in html
    assert "A case may be extended 1 time(s) only" in html  # the field's problem, in the page's language
    assert "breaks a rule" in html and "Nội dung thao tác chưa hợp lệ" in html  # the message in both
    assert 'value="Lần nữa."' not in html and "Lần nữa." in html  # what was typed is kept
    assert version_of(routing, case_id) == 2


def test_each_action_shows_the_notice_with_the_dates_it_will_carry(routing, app, accounts):
    case_id = open_case(routing)  # received on Monday 2 November 2026
    official = Browser(app, accounts, "can-bo")
    page = text(official.get(f"/console/ho-so/{case_id}"))
    assert "The explanation is due by November 17, 2026" in page  # 15 days from a notice sent today
    assert page.count("What the requester will be told") == len(action_forms(page))
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    extend_notice = "GT-7X9V-FH1S-T, due by November 17, 2026, is extended once"
    assert extend_notice in text(official.get(f"/console/ho-so/{case_id}"))
    preview = official.post(f"/console/ho-so/{case_id}/extend",
                            {"version": "1", "preview": "1", "extend-days": "10", "extend-reason": "Cần xác minh."})
    assert preview.status_code == 200 and version_of(routing, case_id) == 1
    assert re.search(r"The explanation is then due by</dt><dd>November 27, 2026<", text(preview))
    moved = official.post(f"/console/ho-so/{case_id}/transfer", {"version": "1", "preview": "1",
                                                                  "transfer-to_unit": "kinh-te",
                                                                  "transfer-reason": "Kinh tế."})
    assert re.search(r"<dd>Kinh tế\.</dd>", text(moved)) and state_of(routing, case_id) == "accepted"


EMAIL, PHONE, LINK = "nguoi.yeu.cau@example.vn", "0912 345 678", "/yeu-cau/bi-mat-cua-nguoi-yeu-cau-0123456789"


def test_the_requesters_contact_is_shown_to_those_handling_the_case_and_to_nobody_else(routing, app, accounts):
    case_id = open_case(routing, contact={"email": EMAIL, "phone": PHONE, "requester_link": LINK})  # to dia-chinh
    handling = [Browser(app, accounts, "can-bo"), Browser(app, accounts, "truong-phong", role="unit_head"),
                Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")]
    others = [Browser(app, accounts, "hdnd", role="supervisor", unit=None, body="hdnd"),
              Browser(app, accounts, "can-bo-kinh-te", unit="kinh-te"),
              Browser(app, accounts, "truong-phong-kinh-te", role="unit_head", unit="kinh-te")]
    for person in handling:
        page, api = text(person.get(f"/console/ho-so/{case_id}")), person.client.get(f"/api/v1/cases/{case_id}")
        assert EMAIL in page and PHONE in page, person.login
        assert api.json["requester"] == {"requester_type": "citizen", "email": EMAIL, "phone": PHONE}
    for person in others:
        page, api = person.get(f"/console/ho-so/{case_id}"), person.client.get(f"/api/v1/cases/{case_id}")
        assert page.status_code == 200 and api.status_code == 200, person.login
        assert EMAIL not in text(page) and PHONE not in text(page) and "requester" not in api.json, person.login
        assert "shown only to those handling the case" in text(page)
    for person in handling + others:  # the requester's secret link is never kept
        assert LINK not in text(person.get(f"/console/ho-so/{case_id}"))


def test_once_the_case_is_given_to_one_official_only_they_of_its_unit_read_the_requester(routing, app, accounts):
    case_id = open_case(routing, contact={"email": EMAIL})
    first, second = Browser(app, accounts, "can-bo"), Browser(app, accounts, "can-bo-2")
    head = Browser(app, accounts, "truong-phong", role="unit_head")
    given = head.post(f"/console/ho-so/{case_id}/assign",
                      {"version": "0", "assign-unit_code": "dia-chinh", "assign-official_id": second.id})
    assert given.status_code == 303
    page = f"/console/ho-so/{case_id}"
    assert EMAIL in text(second.get(page)) and EMAIL in text(head.get(page))
    assert EMAIL not in text(first.get(page))


def test_a_requester_who_asked_for_no_notices_left_no_contact_with_routing(routing, app, accounts):
    case_id = open_case(routing)  # request.submitted without a contact block
    page = text(Browser(app, accounts, "can-bo").get(f"/console/ho-so/{case_id}"))
    assert "did not ask to be notified" in page and "A citizen" in page


def test_a_form_with_a_stale_version_is_a_409_on_the_page_and_changes_nothing(routing, app, accounts):
    case_id = open_case(routing)
    first, second = Browser(app, accounts, "can-bo"), Browser(app, accounts, "can-bo-2")
    assert first.post(f"/console/ho-so/{case_id}/accept", {"version": "0"}).status_code == 303
    late = second.post(f"/console/ho-so/{case_id}/refuse",
                       {"version": "0", "refuse-ground": "being_handled", "refuse-reason": "Đang xử lý."})
    assert late.status_code == 409
    assert "Someone else changed the case" in text(late) and "người khác thay đổi" in text(late)
    assert state_of(routing, case_id) == "accepted" and version_of(routing, case_id) == 1


def test_an_action_the_state_no_longer_allows_is_a_409_on_the_page(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    again = official.post(f"/console/ho-so/{case_id}/accept", {"version": "1"})
    assert again.status_code == 409 and "not allowed while the case is accepted" in text(again)


def test_a_refusal_without_a_ground_from_the_list_names_the_field(routing, app, accounts):
    case_id = open_case(routing)
    refused = Browser(app, accounts, "can-bo").post(
        f"/console/ho-so/{case_id}/refuse", {"version": "0", "refuse-ground": "I just do not want to",
                                             "refuse-reason": "x"})
    assert refused.status_code == 422 and 'id="field-refuse-ground-error"' in text(refused)
    assert state_of(routing, case_id) == "received"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(routing, app, accounts):
    case_id = open_case(routing)
    resp = Browser(app, accounts, "can-bo").post(f"/console/ho-so/{case_id}/accept", {"version": "0"}, csrf=False)
    assert resp.status_code == 400 and state_of(routing, case_id) == "received"


def test_the_console_is_for_signed_in_staff_only(routing, app):
    case_id = open_case(routing)
    anonymous = app.test_client()
    for path in ("/console/", f"/console/ho-so/{case_id}"):
        assert anonymous.get(path, headers={"Accept": "text/html"}).status_code in {401, 303}


# -- answering ------------------------------------------------------------------------------------
def test_an_answer_template_of_the_cases_field_prefills_the_answer(routing, app, accounts):
    case_id = open_case(routing, field="land")
    official = Browser(app, accounts, "can-bo")
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    land = answer_templates()["land"][0]
    html = text(official.get(f"/console/ho-so/{case_id}?mau={land['id']}"))
    assert land["title"] in html and land["legal_basis"] in html
    assert answer_templates()["construction"][0]["title"] not in html  # another field's


def test_the_answer_is_previewed_as_the_requester_will_read_it_before_it_is_sent(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    shown = official.post(f"/console/ho-so/{case_id}/answer",
                          {"version": "1", "preview": "1", "answer-explanation": "Đã kiểm tra hồ sơ.",
                           "answer-legal_basis": "Luật Đất đai 2024",
                           "answer-commitment_0_content": "Cấp giấy", "answer-commitment_0_due_on": "2026-12-15"})
    assert shown.status_code == 200
    assert "What the requester will be told" in text(shown) and "Cấp giấy — 2026-12-15" in text(shown)
    assert state_of(routing, case_id) == "accepted"


def test_an_answer_with_a_commitment_and_the_commitment_completed_with_evidence(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    official.post(f"/console/ho-so/{case_id}/accept", {"version": "0"})
    no_due = official.post(f"/console/ho-so/{case_id}/answer",
                           {"version": "1", "answer-explanation": "Đã kiểm tra.", "answer-legal_basis": "Luật",
                            "answer-commitment_0_content": "Cấp giấy"})
    assert no_due.status_code == 422 and 'id="field-answer-commitment_0_due_on-error"' in text(no_due)
    done = official.post(f"/console/ho-so/{case_id}/answer",
                         {"version": "1", "answer-explanation": "Đã kiểm tra.", "answer-legal_basis": "Luật",
                          "answer-commitment_0_content": "Cấp giấy", "answer-commitment_0_due_on": "2026-12-15"})
    assert done.status_code == 303 and state_of(routing, case_id) == "answered"
    page = text(official.get(f"/console/ho-so/{case_id}"))
    commitment_id = re.search(r'/console/cam-ket/([^/]+)/hoan-thanh', page).group(1)
    empty = official.post(f"/console/cam-ket/{commitment_id}/hoan-thanh", {"evidence": ""})
    assert empty.status_code == 422
    completed = official.post(f"/console/cam-ket/{commitment_id}/hoan-thanh", {"evidence": "Giấy số 12/GCN"})
    assert completed.status_code == 303
    assert "/hoan-thanh" not in text(official.get(f"/console/ho-so/{case_id}"))


# -- bulk actions ---------------------------------------------------------------------------------
def test_a_heads_bulk_close_takes_each_case_on_its_own_and_says_which_were_refused(routing, app, accounts):
    received = open_case(routing, code="GT-AAAA-AAAA-A")
    answered = open_case(routing, code="GT-BBBB-BBBB-B")
    elsewhere = open_case(routing, locality=OTHER_WARD, code="GT-CCCC-CCCC-C")
    head = Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")
    head.post(f"/console/ho-so/{answered}/accept", {"version": "0"})
    head.post(f"/console/ho-so/{answered}/answer", {"version": "1", "answer-explanation": "Đã giải trình.",
                                                     "answer-legal_basis": "Luật"})
    result = head.post("/console/hang-loat", {"action": "close", "case_id": [received, answered, elsewhere]})
    html = text(result)
    assert result.status_code == 200 and "1 done, 2 refused." in html
    assert "not allowed while the case is received" in html and "No such case." in html
    assert "GT-CCCC-CCCC-C" not in html  # another locality's case stays unnamed
    assert (state_of(routing, answered), state_of(routing, received), state_of(routing, elsewhere)) == \
        ("closed", "received", "received")


def test_bulk_actions_are_the_heads_and_the_inbox_offers_them_to_heads(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    assert official.post("/console/hang-loat", {"action": "close", "case_id": case_id}).status_code == 403
    head = Browser(app, accounts, "truong-phong", role="unit_head")
    inbox = text(head.get("/console/"))
    assert f'name="case_id" value="{case_id}"' in inbox
    moved = head.post("/console/hang-loat", {"action": "transfer", "case_id": case_id, "to_unit": "kinh-te",
                                             "reason": "Thuộc lĩnh vực kinh tế."})
    assert moved.status_code == 200 and "1 done, 0 refused." in text(moved)


def test_the_console_speaks_vietnamese_first(routing, app, accounts):
    case_id = open_case(routing)
    official = Browser(app, accounts, "can-bo")
    inbox = official.client.get("/console/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'lang="vi"' in inbox and "Hạn tiếp theo" in inbox and "Đất đai" in inbox
    case = official.client.get(f"/console/ho-so/{case_id}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Thụ lý" in case and "Người yêu cầu sẽ được thông báo" in case


# -- admin pages ------------------------------------------------------------------------------------
def upload(browser, path, content: str, language: str = "en"):
    form = {auth.CSRF_FIELD: browser.csrf, "file": (io.BytesIO(content.encode()), "u.csv")}
    return browser.client.post(path, data=form, content_type="multipart/form-data",
                               headers={"Accept": "text/html", "Accept-Language": language})


def units_csv(browser, locality=WARD) -> str:
    return browser.get(f"/console/admin/dia-ban/{locality}/don-vi.csv").get_data(as_text=True)


@pytest.fixture
def admin(app, accounts, clock):
    made = add_account(accounts, "admin-tinh", "provincial_admin", localities=(), unit=None)
    client = app.test_client()
    resp = open_session(client, "admin-tinh", totp=pyotp.TOTP(made.account.totp_secret).at(clock.at))
    browser = object.__new__(Browser)
    browser.client, browser.login, browser.csrf = client, "admin-tinh", resp.json["csrf_token"]
    return browser


def test_a_units_csv_with_a_bad_row_names_its_line_and_imports_nothing(routing, admin, clock):
    before = units_csv(admin)
    assert before.splitlines()[0] == "locality_code,code,name,kind,active" and "dia-chinh" in before
    bad = upload(admin, f"/console/admin/dia-ban/{WARD}/nhap-csv",
                 "locality_code,code,name,kind,active\n"
                 f"{WARD},moi-truong,Tổ môi trường,handling,true\n"
                 f"{WARD},Sai Mã!,Tên,handling,maybe\n")
    assert bad.status_code == 422 and "Line 3:" in bad.get_data(as_text=True)
    assert units_csv(admin) == before  # not half-imported
    shown = html.unescape(bad.get_data(as_text=True))  # each problem in the page's language, naming its column
    assert "Line 3: code: 1–40 lowercase letters, digits or '-'" in shown and "Dòng 3" not in shown
    assert "Line 3: active: true (open) or false (closed)." in shown
    good = upload(admin, f"/console/admin/dia-ban/{WARD}/nhap-csv",
                  f"locality_code,code,name,kind,active\n{WARD},moi-truong,Tổ môi trường,handling,true\n")
    assert good.status_code == 303 and "moi-truong,Tổ môi trường,handling,true" in units_csv(admin)


def test_a_units_csv_row_problem_is_shown_in_the_pages_language_a_row_of_another_locality_too(routing, admin):
    path, header = f"/console/admin/dia-ban/{WARD}/nhap-csv", "locality_code,code,name,kind,active\n"
    bad = upload(admin, path, header + f"{WARD},Sai Mã!,Tên,handling,có\n", language="vi")
    shown = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 422 and "Dòng 2: code: Mã đơn vị gồm 1–40 ký tự" in shown and "Line 2" not in shown
    assert "Dòng 2: active: Ghi true (đang hoạt động) hoặc false (ngừng hoạt động)." in shown
    elsewhere = header + f"{OTHER_WARD},moi-truong,Tổ môi trường,handling,true\n"
    in_vietnamese = html.unescape(upload(admin, path, elsewhere, language="vi").get_data(as_text=True))
    assert f"Dòng 2: locality_code: Mã địa bàn phải là {WARD} trên trang này." in in_vietnamese
    in_english = upload(admin, path, elsewhere)
    assert in_english.status_code == 422
    assert f"Line 2: locality_code: The locality code must be {WARD} on this page." in in_english.get_data(as_text=True)
    assert "moi-truong" not in units_csv(admin, OTHER_WARD)


def test_officials_imported_on_the_admin_page_get_first_passwords_shown_once_and_a_bad_row_imports_none(
        app, admin, accounts):
    header = "login,full_name,role,unit_code,email,phone,active\n"
    path = f"/console/admin/dia-ban/{WARD}/nhap-can-bo"
    bad = admin.client.post(path, data={auth.CSRF_FIELD: admin.csrf, "officials_file": (io.BytesIO((
        header + "can-bo.moi,Nguyễn Văn Mới,official,dia-chinh,,,true\n"
        + "quan-tri,Kẻ Lạ,provincial_admin,,,,true\n").encode()), "c.csv")},
        content_type="multipart/form-data", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert bad.status_code == 422 and "Line 3: role: The role is one of: official" in bad.get_data(as_text=True)
    assert "can-bo.moi" not in {a.login for a in accounts.accounts(0, 500, locality=WARD)[0]}  # none of it
    good = admin.client.post(path, data={auth.CSRF_FIELD: admin.csrf, "officials_file": (io.BytesIO((
        header + "can-bo.moi,Nguyễn Văn Mới,official,dia-chinh,moi@xa.gov.vn,,true\n").encode()), "c.csv")},
        content_type="multipart/form-data", headers={"Accept": "text/html", "Accept-Language": "en"})
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    [password] = re.findall(r"<td>can-bo\.moi</td><td><code>([^<]+)</code>", text)
    open_session(app.test_client(), "can-bo.moi", html.unescape(password))  # the first password signs in
    again = admin.get(f"/console/admin/dia-ban/{WARD}").get_data(as_text=True)
    assert "can-bo.moi" in again and password not in again  # shown once, on the import's answer only


def test_a_rule_is_set_on_the_admin_page_and_a_locality_head_only_reads(routing, app, accounts, admin):
    done = admin.post(f"/console/admin/dia-ban/{WARD}/quy-tac", {"field": "environment", "unit_code": "dia-chinh"})
    assert done.status_code == 303
    with routing.unit_of_work() as uow:
        assert uow.units.rules_of(WARD)["environment"].unit_code == "dia-chinh"
    refused = admin.post(f"/console/admin/dia-ban/{WARD}/quy-tac", {"field": "environment", "unit_code": "hdnd"})
    assert refused.status_code == 422 and 'id="field-unit_code-error"' in refused.get_data(as_text=True)
    head = Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")
    page = head.get(f"/console/admin/dia-ban/{WARD}")
    assert page.status_code == 200 and "/quy-tac" not in page.get_data(as_text=True)
    changing = head.post(f"/console/admin/dia-ban/{WARD}/quy-tac", {"field": "land", "unit_code": "kinh-te"})
    assert changing.status_code == 403
    assert head.get(f"/console/admin/dia-ban/{OTHER_WARD}").status_code == 404


def test_the_admin_page_lists_the_officials_of_its_locality_with_unit_role_and_whether_active(
        routing, app, accounts, admin):
    Browser(app, accounts, "can-bo")
    Browser(app, accounts, "can-bo-nghi", unit="kinh-te")
    accounts.set_disabled("can-bo-nghi", True, by="test")
    Browser(app, accounts, "can-bo-phuong-khac", localities=(OTHER_WARD,))
    head = Browser(app, accounts, "chu-tich", role="locality_head", unit="van-phong")
    html = text(head.get(f"/console/admin/dia-ban/{WARD}"))
    rows = dict(re.findall(r"<td>Cán bộ ([a-z-]+)</td>(.*?)</tr>", html, flags=re.S))
    assert set(rows) == {"can-bo", "can-bo-nghi", "chu-tich"}  # not another locality's
    assert "Official" in rows["can-bo"] and "Địa chính" in rows["can-bo"] and "<td>yes</td>" in rows["can-bo"]
    assert "<td>no</td>" in rows["can-bo-nghi"] and "Locality head" in rows["chu-tich"]
    assert "/console/tai-khoan" in text(admin.get(f"/console/admin/dia-ban/{WARD}"))  # where to change them
    assert "/console/tai-khoan" not in html
