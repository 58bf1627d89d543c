"""The written notices (Decree 59/2019/NĐ-CP): the requester is told at each step — received,
accepted with the explanation's deadline, refused with the ground in words and the reason (and
where to turn for another agency's matter), extended with the new deadline and the reason, the
explanation ready and where to read it, closed, the dispute decided — in Vietnamese, then
English, in the in-app inbox of the tracking code, in the order of the steps."""
import re

import pytest

from giaitrinh_common import contracts, topics
from giaitrinh_notify.domain.messages import NO_NOTICE, NOTICES, notice_for
from giaitrinh_notify.entrypoints.web import create_app
from tests.support.case_history import MONDAY, CaseHistory, every_step_type
from tests.support.factories import migrated_runtime, request_submitted

EXAMPLES = {**every_step_type(), "vn.giaitrinh.request.submitted.v1": request_submitted()}
STREAM_TYPES = sorted(t for t in contracts.known_types()
                      if t.startswith(("vn.giaitrinh.case.", "vn.giaitrinh.request.")))


def test_every_event_type_notify_reads_is_told_or_deliberately_left_untold():
    """A new case event fails here until it gets a template or a reason not to write."""
    undecided = [t for t in STREAM_TYPES if t not in NOTICES and t not in NO_NOTICE]
    assert undecided == []
    assert set(NOTICES) & set(NO_NOTICE) == set()
    assert set(NOTICES) | set(NO_NOTICE) <= contracts.known_types()


@pytest.mark.parametrize("event_type", sorted(NOTICES))
def test_every_notice_renders_from_a_real_event_of_its_type(event_type):
    event = EXAMPLES[event_type]
    contracts.validate(event)
    note = notice_for(event.type, event.data, MONDAY)
    code = event.data["tracking_code"]
    assert note is not None and note.topic == NOTICES[event_type][0]
    for text in (note.title, note.body, note.title_en, note.body_en):
        assert text.strip() and "{" not in text and "None" not in text
    assert code in note.body and code in note.body_en
    assert len(note.title) <= 200 and len(note.title_en) <= 200
    assert note.step == event.data.get("version", 0)


@pytest.mark.parametrize("event_type", sorted(NO_NOTICE))
def test_a_type_left_untold_makes_no_message(event_type):
    event = EXAMPLES.get(event_type)
    if event is not None:
        assert notice_for(event.type, event.data, MONDAY) is None


def test_the_acceptance_notice_gives_the_explanations_deadline():
    history = CaseHistory()
    note = notice_for_event(history.accept())
    assert "Thời hạn giải trình: đến hết ngày 18/11/2026." in note.body  # 15 days after 3 Nov
    assert "by the end of 18 November 2026" in note.body_en


def test_a_refusal_gives_its_ground_in_words_its_reason_and_where_to_turn():
    history = CaseHistory()
    note = notice_for_event(history.refuse(
        ground="other_agency", reason="Việc thu hồi đất do tỉnh quyết định.",
        refer_to="Ủy ban nhân dân tỉnh Quảng Trị"))
    assert note.body == (
        f"Yêu cầu {history.case.tracking_code} không được thụ lý. Căn cứ: nội dung thuộc thẩm "
        "quyền của cơ quan khác. Lý do: Việc thu hồi đất do tỉnh quyết định. Nội dung này thuộc "
        "thẩm quyền của Ủy ban nhân dân tỉnh Quảng Trị; bạn có thể gửi yêu cầu đến cơ quan đó.")
    assert "you may send your request there" in note.body_en
    other = CaseHistory()
    note = notice_for_event(other.refuse(ground="being_handled", reason="Đang thanh tra."))
    assert "đang được xem xét, giải quyết (Điều 5 Nghị định 59/2019/NĐ-CP)" in note.body
    assert "Lý do: Đang thanh tra." in note.body and "gửi yêu cầu đến" not in note.body


def test_an_extension_gives_the_new_deadline_and_the_reason():
    history = CaseHistory()
    history.accept()
    event = history.extend(by=10, reason="Cần xác minh thực địa.")
    note = notice_for_event(event)
    # 18 November + 10 days is Saturday 28 November: the period ends on the next working day.
    assert "gia hạn đến hết ngày 30/11/2026. Lý do: Cần xác minh thực địa." in note.body
    assert event.data["details"]["answer_by"] == "2026-11-30"


def test_the_answer_notice_says_where_to_read_the_explanation_and_not_what_it_says():
    history = CaseHistory()
    history.accept()
    note = notice_for_event(history.answer(explanation="Nội dung riêng của hồ sơ."))
    assert f"tra cứu tiến độ bằng mã {history.case.tracking_code}" in note.body
    assert "Nội dung riêng" not in note.body + note.body_en


def test_a_dispute_decision_says_which_way_it_went():
    upheld, dismissed = CaseHistory(), CaseHistory()
    for history in (upheld, dismissed):
        history.accept()
        history.answer()
        history.dispute()
    yes = notice_for_event(upheld.decide_dispute(upheld=True, reason="Thiếu căn cứ pháp lý."))
    no = notice_for_event(dismissed.decide_dispute(upheld=False))
    assert "chấp nhận ý kiến không đồng ý" in yes.body and "giải trình lại" in yes.body
    assert "Thiếu căn cứ pháp lý." in yes.body
    assert "không chấp nhận" in no.body and "kết thúc" in no.body


def notice_for_event(event):
    note = notice_for(event.type, event.data, MONDAY)
    assert note is not None
    return note


@pytest.fixture
def notify(bus, sqlite_url):
    rt = migrated_runtime("notify", sqlite_url("notify"), bus)
    yield rt
    rt.close()


def deliver(runtime, bus, *pairs):
    publisher = bus.publisher()
    for topic, event in pairs:
        publisher.publish(topic, event.key, event.to_json())
    publisher.flush()
    consumer = runtime.consumer()
    for _ in range(20):
        if not consumer.run_once(timeout=0.05):
            break
    assert consumer.waiting.listing() == []
    consumer.close()


def test_the_inbox_of_a_tracking_code_shows_every_notice_in_the_order_of_the_steps(notify, bus):
    history = CaseHistory()
    history.assign()
    history.accept()
    history.extend()
    history.answer()
    history.dispute()
    history.decide_dispute(upheld=True)
    history.answer()  # explained again: told again
    history.close()
    registered = history.events[0]
    deliver(notify, bus, (topics.REQUESTS, history.submitted),
            *[(topics.CASES, e) for e in history.events],
            (topics.CASES, registered), (topics.CASES, history.events[-1]))  # two delivered twice
    code = history.case.tracking_code
    items = create_app(notify).test_client().get(f"/api/v1/inbox/{code}").json["items"]
    assert [i["topic"] for i in items] == [
        "received", "registered", "accepted", "extended", "answered", "dispute_decided",
        "answered", "closed"]
    assert all(i["title_en"] and i["body_en"] for i in items)
    assert re.search(r"đến hết ngày \d\d/\d\d/2026", items[2]["body"])


def test_a_step_told_again_under_another_event_id_is_one_message(notify, bus):
    history = CaseHistory()
    accepted = history.accept()
    again = type(accepted)(**{**accepted.__dict__, "id": "again-" + accepted.id[:40]})
    deliver(notify, bus, (topics.REQUESTS, history.submitted),
            *[(topics.CASES, e) for e in (history.events[0], accepted, again)])
    with notify.unit_of_work() as uow:
        notes = uow.inbox_messages.for_tracking_code(history.case.tracking_code)
    assert [(n.topic, n.step) for n in notes] == [("received", 0), ("registered", 0), ("accepted", 1)]
