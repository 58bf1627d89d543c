"""The accountability procedure (Decree 59/2019) as the case aggregate enforces it."""
from datetime import UTC, date, datetime, timedelta

import pytest

from giaitrinh_routing.adapters.time_limits import load_rule_book
from giaitrinh_routing.domain.calendar import WorkingDayCalendar
from giaitrinh_routing.domain.case import (
    TRANSITIONS,
    Action,
    ActionNotAllowed,
    Actor,
    Case,
    CaseState,
    InvalidAction,
    NotPermitted,
    Role,
)

CAL = WorkingDayCalendar()
LIMITS = load_rule_book().in_force("accountability_request", date(2026, 11, 2))
WARD = "18880"
OFFICIAL = Actor("u-1", Role.OFFICIAL, frozenset({WARD}), "dia-chinh")
HEAD = Actor("u-2", Role.LOCALITY_HEAD, frozenset({WARD}))
SUPERVISOR = Actor("u-3", Role.SUPERVISOR, frozenset({WARD}))
REQUESTER = Actor("requester", Role.REQUESTER)
MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)  # 09:00 in Vietnam


def received(at=MONDAY, unit="dia-chinh") -> Case:
    return Case.register(id="c-1", request_id="r-1", tracking_code="GT-7X9V-FH1S-T",
                         kind="accountability_request", field="land", locality_code=WARD, now=at,
                         limits=LIMITS, calendar=CAL, unit_code=unit)


def accepted(at=MONDAY) -> Case:
    case = received(at)
    case.accept(OFFICIAL, at, LIMITS, CAL)
    return case


def test_a_received_request_must_be_accepted_or_refused_within_five_working_days():
    assert received().accept_by == date(2026, 11, 9)


def test_accepting_sets_the_explanation_due_fifteen_days_after_the_notice():
    case = accepted()
    assert case.state is CaseState.ACCEPTED
    assert case.answer_by == date(2026, 11, 17)
    assert case.version == 1
    [step] = case.events
    assert step.action == "accept" and step.details["accepted_on_time"] is True


def test_accepting_after_the_limit_is_allowed_but_recorded_as_late():
    case = received()
    case.accept(OFFICIAL, MONDAY + timedelta(days=10), LIMITS, CAL)
    assert case.events[-1].details["accepted_on_time"] is False


def test_a_refusal_names_a_legal_ground_and_a_reason():
    case = received()
    with pytest.raises(InvalidAction) as caught:
        case.refuse(OFFICIAL, MONDAY, "i_do_not_like_it", "")
    assert {p.field for p in caught.value.problems} == {"ground", "reason"}
    assert case.state is CaseState.RECEIVED and case.version == 0 and case.events == []
    case.refuse(OFFICIAL, MONDAY, "already_explained", "Đã giải trình ngày 1/10, không có lý do mới.")
    assert case.state is CaseState.REFUSED
    assert case.events[-1].details["on_time"] is True


def test_a_matter_of_another_agency_names_that_agency():
    with pytest.raises(InvalidAction) as caught:
        received().refuse(OFFICIAL, MONDAY, "other_agency", "Thuộc thẩm quyền cấp tỉnh")
    assert [p.field for p in caught.value.problems] == ["refer_to"]


def test_a_case_may_be_extended_once_by_at_most_fifteen_days():
    case = accepted()
    case.extend(OFFICIAL, MONDAY, 10, "Vụ việc phức tạp, cần xác minh thực địa", LIMITS, CAL)
    assert case.answer_by == date(2026, 11, 27)
    with pytest.raises(InvalidAction) as caught:
        case.extend(OFFICIAL, MONDAY, 5, "Lần nữa", LIMITS, CAL)
    assert caught.value.problems[0].code == "already_extended"
    assert case.answer_by == date(2026, 11, 27)


def test_second_extension_is_refused():
    case = accepted()
    case.extend(OFFICIAL, MONDAY, 1, "Phức tạp", LIMITS, CAL)
    with pytest.raises(InvalidAction, match="extended 1 time"):
        case.extend(OFFICIAL, MONDAY, 1, "Phức tạp", LIMITS, CAL)


def test_an_extension_past_the_limit_is_refused_naming_the_days():
    with pytest.raises(InvalidAction) as caught:
        accepted().extend(OFFICIAL, MONDAY, 16, "Phức tạp", LIMITS, CAL)
    assert [(p.field, p.code) for p in caught.value.problems] == [("days", "out_of_range")]


def test_time_suspended_does_not_count():
    case = accepted()
    case.suspend(OFFICIAL, MONDAY + timedelta(days=3), "Chờ kết quả giám định")
    case.resume(OFFICIAL, MONDAY + timedelta(days=10), CAL)
    # 17 Nov + 7 days = 24 Nov, Vietnam Cultural Day (a day off from 2026): the next working day.
    assert case.answer_by == date(2026, 11, 25)
    assert case.state is CaseState.ACCEPTED


def test_an_answer_needs_the_explanation_the_legal_basis_and_dated_commitments():
    case = accepted()
    with pytest.raises(InvalidAction) as caught:
        case.answer(OFFICIAL, MONDAY, "", "", commitments=[{"content": "Sửa đèn"}])
    assert {p.field for p in caught.value.problems} == {
        "explanation", "legal_basis", "commitments[0].due_on"}
    promises = case.answer(OFFICIAL, MONDAY, "Đã kiểm tra hiện trường...", "Luật Đất đai 2024, Điều 12",
                           commitments=[{"content": "Sửa đèn", "due_on": "2026-12-15"}])
    assert case.state is CaseState.ANSWERED
    assert [(p.content, p.due_on, p.unit_code) for p in promises] == [
        ("Sửa đèn", date(2026, 12, 15), "dia-chinh")]
    assert case.events[-1].details["on_time"] is True


def test_a_commitment_due_in_the_past_is_refused():
    with pytest.raises(InvalidAction, match="after today"):
        accepted().answer(OFFICIAL, MONDAY, "x", "y", [{"content": "z", "due_on": "2026-11-01"}])


def test_the_requester_may_withdraw_before_the_answer_but_not_after():
    case = accepted()
    case.withdraw(REQUESTER, MONDAY, "Đã tự thỏa thuận")
    assert case.state is CaseState.WITHDRAWN
    answered = accepted()
    answered.answer(OFFICIAL, MONDAY, "x", "y")
    with pytest.raises(ActionNotAllowed):
        answered.withdraw(REQUESTER, MONDAY)


def test_a_dispute_upheld_by_a_supervisor_reopens_and_flags_the_case():
    case = accepted()
    case.answer(OFFICIAL, MONDAY, "x", "y")
    case.dispute(REQUESTER, MONDAY + timedelta(days=1), "Giải trình chưa đúng sự thật")
    with pytest.raises(NotPermitted):
        case.decide_dispute(OFFICIAL, MONDAY, True, "…", LIMITS, CAL)
    case.decide_dispute(SUPERVISOR, MONDAY + timedelta(days=2), True, "Có căn cứ", LIMITS, CAL)
    assert case.state is CaseState.ACCEPTED and case.flagged
    assert case.answer_by == date(2026, 11, 19)


def test_a_dispute_dismissed_closes_the_case():
    case = accepted()
    case.answer(OFFICIAL, MONDAY, "x", "y")
    case.dispute(REQUESTER, MONDAY, "Không đồng ý")
    case.decide_dispute(SUPERVISOR, MONDAY, False, "Không có căn cứ", LIMITS, CAL)
    assert case.state is CaseState.CLOSED and not case.flagged


def test_an_action_not_allowed_in_the_state_changes_nothing():
    case = received()
    for action, call in [(Action.ANSWER, lambda: case.answer(OFFICIAL, MONDAY, "x", "y")),
                         (Action.CLOSE, lambda: case.close(OFFICIAL, MONDAY)),
                         (Action.EXTEND, lambda: case.extend(OFFICIAL, MONDAY, 1, "r", LIMITS, CAL))]:
        with pytest.raises(ActionNotAllowed) as caught:
            call()
        assert caught.value.action is action
    assert case.version == 0 and case.events == [] and case.state is CaseState.RECEIVED


def test_terminal_states_allow_nothing():
    for state in (CaseState.REFUSED, CaseState.WITHDRAWN, CaseState.MERGED):
        assert TRANSITIONS[state] == {}


def test_another_localitys_case_is_hidden_from_an_official():
    stranger = Actor("u-9", Role.OFFICIAL, frozenset({"99999"}), "dia-chinh")
    with pytest.raises(NotPermitted) as caught:
        received().accept(stranger, MONDAY, LIMITS, CAL)
    assert caught.value.hidden


def test_an_official_of_another_unit_may_not_act_but_the_head_may():
    other_unit = Actor("u-8", Role.OFFICIAL, frozenset({WARD}), "tu-phap")
    with pytest.raises(NotPermitted) as caught:
        received().accept(other_unit, MONDAY, LIMITS, CAL)
    assert not caught.value.hidden
    received().accept(HEAD, MONDAY, LIMITS, CAL)


def test_a_supervisor_reads_but_does_not_handle():
    with pytest.raises(NotPermitted):
        received().accept(SUPERVISOR, MONDAY, LIMITS, CAL)


def test_a_transfer_needs_another_unit_and_a_reason():
    case = received()
    with pytest.raises(InvalidAction) as caught:
        case.transfer(OFFICIAL, MONDAY, "dia-chinh", "")
    assert {p.code for p in caught.value.problems} == {"same_unit", "required"}
    case.transfer(OFFICIAL, MONDAY, "tu-phap", "Thuộc lĩnh vực tư pháp")
    assert case.unit_code == "tu-phap" and case.events[-1].details["from_unit"] == "dia-chinh"


def test_a_case_cannot_be_merged_into_itself():
    with pytest.raises(InvalidAction):
        received().merge(OFFICIAL, MONDAY, "c-1", "trùng")


def test_overdue_names_the_late_step():
    assert received().overdue(date(2026, 11, 10)) == "accept"
    assert received().overdue(date(2026, 11, 9)) is None
    assert accepted().overdue(date(2026, 11, 18)) == "answer"


def test_a_case_extended_once_is_not_offered_another_extension():
    case = accepted()
    assert Action.EXTEND in case.actions_open_to(OFFICIAL, LIMITS)
    case.extend(OFFICIAL, MONDAY, 10, "Vụ việc phức tạp", LIMITS, CAL)
    assert case.actions_open_to(OFFICIAL, LIMITS) == [Action.TRANSFER, Action.SUSPEND, Action.ANSWER,
                                                      Action.MERGE]  # assigning is the heads'
    assert Action.EXTEND in case.allowed_actions()  # the state alone would still allow it


def test_the_actions_open_to_a_person_follow_their_role_locality_and_unit():
    case = received()
    assert case.actions_open_to(OFFICIAL, LIMITS) == [Action.ACCEPT, Action.REFUSE, Action.TRANSFER, Action.MERGE]
    assert Action.ASSIGN in case.actions_open_to(HEAD, LIMITS)
    assert case.actions_open_to(SUPERVISOR, LIMITS) == []
    assert case.actions_open_to(Actor("u-9", Role.OFFICIAL, frozenset({WARD}), "kinh-te"), LIMITS) == []
    assert case.actions_open_to(Actor("u-9", Role.LOCALITY_HEAD, frozenset({"19000"})), LIMITS) == []


def test_an_extension_is_counted_the_same_in_its_preview_and_when_taken():
    case = accepted()
    previewed = case.extended_answer_by(10, LIMITS, CAL)
    case.extend(OFFICIAL, MONDAY, 10, "Vụ việc phức tạp", LIMITS, CAL)
    assert case.answer_by == previewed
