"""The public timeline (*công khai tiến độ*): every step of a request's case, as routing publishes
it on giaitrinh.cases.v1, reaches intake through its consumer and shows on the tracking-code
lookup with its date, its label in Vietnamese and English, the deadline of the next step and
whether the step met its own; the status follows the case; an explanation's text stays
unpublished without the requester's consent."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_common import migrations, topics
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import (
    AccountabilityRequest,
    Channel,
    Field,
    Locality,
    Requester,
    RequesterType,
    RequestKind,
)
from giaitrinh_intake.domain.timeline import CaseStep
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.services import SERVICES
from tests.support.case_history import MONDAY, CaseHistory
from tests.support.factories import LOCALITY, served_province, teach_registry

SPEC = SERVICES["intake"]


def intake_on(url, bus):
    migrations.upgrade(SPEC.package, url)
    settings = SPEC.settings({"INTAKE_DATABASE_URL": url, "GIAITRINH_RETRY_BACKOFF": "0.05"})
    rt = SPEC.bootstrap(settings=settings, bus=bus, clock=lambda: MONDAY.timestamp())
    teach_registry(rt, served_province("44"))  # what routing's registry publishes when seeded
    return rt


@pytest.fixture
def intake(bus, sqlite_url):
    rt = intake_on(sqlite_url("intake"), bus)
    yield rt
    rt.close()


@pytest.fixture
def lookup(intake):
    client = create_app(intake).test_client()

    def get(code):
        resp = client.get(f"/api/v1/requests/{code}")
        assert resp.status_code == 200
        return resp.json

    return get


def submitted(intake, **values) -> CaseHistory:
    """A request submitted to intake (on MONDAY, the runtime's clock) and its case's history."""
    receipt = intake.submit(SubmitRequest(
        kind="accountability_request", channel="api", field="land", locality_code=LOCALITY,
        title="Cấp phép xây dựng", content="Vì sao công trình bên cạnh được cấp phép?",
        full_name="Nguyễn Văn An", email="an@example.vn", phone="0912345678", **values))
    return CaseHistory(request_id=receipt.request_id, tracking_code=receipt.tracking_code,
                       received=receipt.submitted_at)


def deliver(intake, bus, *events):
    publisher = bus.publisher()
    for event in events:
        publisher.publish(topics.CASES, event.key, event.to_json())
    publisher.flush()
    consumer = intake.consumer()
    for _ in range(20):
        if not consumer.run_once(timeout=0.05):
            break
    # Every event applied (or a duplicate): none waits for a retry, none is dead-lettered.
    assert consumer.waiting.listing() == []
    assert bus.records(topics.dead_letter_topic(topics.CASES, "intake")) == []
    consumer.close()


def test_each_step_of_the_case_is_on_the_timeline_in_order_with_its_date_and_label(intake, bus, lookup):
    history = submitted(intake)
    history.assign("dia-chinh")
    history.transfer("kinh-te")
    history.accept()
    history.extend(by=10)
    history.suspend()
    history.resume()
    history.answer()
    history.dispute()
    history.decide_dispute(upheld=True)
    history.answer()
    history.close()
    deliver(intake, bus, *history.events)
    public = lookup(history.case.tracking_code)
    assert [e["step"] for e in public["timeline"]] == [
        "submitted", "registered", "assigned", "transferred", "accepted", "extended", "suspended",
        "resumed", "answered", "disputed", "dispute_upheld", "answered", "closed"]
    assert [e["at"] for e in public["timeline"][1:]] == [
        ev.data.get("at", ev.data.get("registered_at")) for ev in history.events]
    labels = {e["step"]: e["label"] for e in public["timeline"]}
    assert labels["assigned"] == {"vi": "Đã phân công đơn vị xử lý: dia-chinh",
                                  "en": "Assigned to the unit dia-chinh"}
    assert labels["transferred"]["vi"] == "Đã chuyển đến đơn vị: kinh-te"
    assert labels["dispute_upheld"]["en"].startswith("The supervisor upheld the dispute")
    assert public["status"] == "closed"


def test_the_deadline_of_the_next_step_shows_while_it_runs(intake, bus, lookup):
    history = submitted(intake)
    code = history.case.tracking_code
    deliver(intake, bus, *history.events)
    public = lookup(code)
    assert public["status"] == "registered"
    assert public["deadline"] == {"step": "accept", "due_by": "2026-11-09"}  # 5 working days
    assert public["timeline"][1]["due_by"] == "2026-11-09"

    accepted = history.accept()
    deliver(intake, bus, accepted)
    answer_by = accepted.data["deadlines"]["answer_by"]
    assert lookup(code)["deadline"] == {"step": "answer", "due_by": answer_by}

    extended = history.extend(by=10)
    deliver(intake, bus, extended)
    public = lookup(code)
    assert public["deadline"] == {"step": "answer", "due_by": extended.data["details"]["answer_by"]}
    assert public["timeline"][-1]["due_by"] > answer_by

    deliver(intake, bus, history.answer())
    public = lookup(code)
    assert public["status"] == "answered" and public["deadline"] is None
    assert public["timeline"][-1]["due_by"] is None


def test_whether_a_step_met_its_deadline_shows_once_it_is_taken(intake, bus, lookup):
    history = submitted(intake)
    history.accept(at=MONDAY + timedelta(days=10))  # accept-by was 9 November
    history.answer(days=2)
    deliver(intake, bus, *history.events)
    on_time = {e["step"]: e["on_time"] for e in lookup(history.case.tracking_code)["timeline"]}
    assert on_time == {"submitted": None, "registered": None, "accepted": False, "answered": True}


def test_a_refusal_reads_its_legal_ground_in_words_and_points_to_the_other_agency(intake, bus, lookup):
    history = submitted(intake)
    history.refuse(ground="other_agency", reason="Thuộc thẩm quyền cấp tỉnh.",
                   refer_to="Sở Nông nghiệp và Môi trường tỉnh Quảng Trị")
    other = submitted(intake)
    other.refuse(ground="already_explained")
    deliver(intake, bus, *history.events, *other.events)
    public = lookup(history.case.tracking_code)
    assert public["status"] == "refused" and public["deadline"] is None
    assert public["timeline"][-1]["label"] == {
        "vi": "Từ chối: nội dung thuộc thẩm quyền của cơ quan khác; "
              "đề nghị gửi đến Sở Nông nghiệp và Môi trường tỉnh Quảng Trị",
        "en": "Refused: the matter belongs to another agency; "
              "turn to Sở Nông nghiệp và Môi trường tỉnh Quảng Trị"}
    assert lookup(other.case.tracking_code)["timeline"][-1]["label"]["vi"] == (
        "Từ chối: nội dung đã được giải trình, không có lý do mới (Điều 5)")


@pytest.mark.parametrize("steps, status", [
    ([], "registered"),
    (["accept"], "accepted"),
    (["accept", "suspend"], "suspended"),
    (["withdraw"], "withdrawn"),
    (["merge"], "merged"),
    (["accept", "answer", "dispute"], "disputed"),
    (["accept", "answer", "dispute", "dismiss"], "closed"),
])
def test_the_public_status_follows_the_case_state(intake, bus, lookup, steps, status):
    history = submitted(intake)
    for step in steps:
        if step == "dismiss":
            history.decide_dispute(upheld=False)
        else:
            getattr(history, step)()
    deliver(intake, bus, *history.events)
    public = lookup(history.case.tracking_code)
    assert public["status"] == status
    if steps and steps[-1] == "dismiss":
        assert public["timeline"][-1]["step"] == "dispute_dismissed"


def test_the_same_step_delivered_twice_or_replayed_under_a_new_id_adds_one_entry(intake, bus, lookup):
    history = submitted(intake)
    accepted = history.accept()
    replayed = type(accepted)(**{**accepted.__dict__, "id": "replayed-" + accepted.id[:40]})
    deliver(intake, bus, history.events[0], accepted, accepted)
    deliver(intake, bus, replayed, history.events[0])
    steps = [e["step"] for e in lookup(history.case.tracking_code)["timeline"]]
    assert steps == ["submitted", "registered", "accepted"]


def test_an_explanation_is_not_published_without_the_requesters_consent(intake, bus, lookup):
    history = submitted(intake)
    history.accept()
    answered = history.answer(explanation="Công trình được cấp phép theo quy hoạch chi tiết 1/500.",
                              legal_basis="Luật Xây dựng 2014, Điều 89.",
                              commitments=[{"content": "Kiểm tra lại giấy phép", "due_on": "2026-12-15"}],
                              minutes="Biên bản làm việc với ông Nguyễn Văn An")
    deliver(intake, bus, *history.events)
    public = lookup(history.case.tracking_code)
    assert public["answer"]["answered_at"] == answered.data["at"]
    assert public["answer"]["on_time"] is True and public["answer"]["published"] is False
    body = str(public)
    for private in ("quy hoạch chi tiết", "Luật Xây dựng", "Kiểm tra lại giấy phép", "Nguyễn Văn An",
                    "an@example.vn", "0912345678"):
        assert private not in body
    # Kept for publication (once consent is recorded), without the meeting's minutes.
    with intake.unit_of_work() as uow:
        [kept] = uow.requests.get(history.request_id).answers
    assert kept.explanation.startswith("Công trình được cấp phép")
    assert [(c.content, c.due_on.isoformat()) for c in kept.commitments] == [
        ("Kiểm tra lại giấy phép", "2026-12-15")]
    assert "Biên bản" not in str(kept)


def test_a_step_applied_after_a_later_one_does_not_move_the_status_back():
    request = AccountabilityRequest.receive(
        id="r-1", tracking_code="GT-7X9V-FH1S-T", kind=RequestKind.FEEDBACK, channel=Channel.API,
        field=Field.LAND, locality=Locality(LOCALITY, "Phường Đồng Hới", "44"), title="t",
        content="c", requester=Requester(RequesterType.CITIZEN), submitted_at=MONDAY)
    later = CaseStep("suspended", MONDAY + timedelta(days=3), 2, "suspended")
    earlier = CaseStep("accepted", MONDAY + timedelta(days=1), 1, "accepted",
                       details={"accepted_on_time": True})
    assert request.record_case_step(later) is not None
    assert request.record_case_step(earlier) is not None
    assert request.record_case_step(earlier) is None
    assert request.status == "suspended" and request.deadline is None


def test_a_registration_already_on_a_timeline_before_the_upgrade_stays_one_entry(bus, sqlite_url):
    url = sqlite_url("before-0003")
    migrations.upgrade(SPEC.package, url, "0002")
    history = submitted_on_0002(url)
    rt = intake_on(url, bus)  # upgrades to head
    try:
        deliver(rt, bus, history.events[0])  # the registration comes again (a replay)
        with rt.unit_of_work() as uow:
            steps = [e.step for e in uow.requests.get(history.request_id).timeline]
        assert steps == ["submitted", "registered"]
    finally:
        rt.close()


def submitted_on_0002(url) -> CaseHistory:
    """A request and its registration written as intake wrote them before revision 0003."""
    history = CaseHistory()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO requests (id, tracking_code, kind, channel, field, locality_code, "
            "locality_name, province_code, title, content, requester_type, submitted_at) VALUES "
            "(:id, 'GT-7X9V-FH1S-T', 'feedback', 'api', 'land', :loc, 'Phường Đồng Hới', '44', "
            "'t', 'c', 'citizen', :at)"), {"id": history.request_id, "loc": LOCALITY, "at": MONDAY})
        for step, label in (("submitted", "Đã tiếp nhận yêu cầu"),
                            ("registered", "Đã vào sổ, chuyển bộ phận xử lý")):
            conn.execute(sa.text(
                "INSERT INTO timeline_entries (request_id, at, step, label_vi, label_en) "
                "VALUES (:id, :at, :step, :vi, 'x')"),
                {"id": history.request_id, "at": MONDAY, "step": step, "vi": label})
    engine.dispose()
    return history
