"""Deadlines on the Vietnamese calendar, and time limits versioned by the day they take effect."""
from datetime import UTC, date, datetime

import pytest

from giaitrinh_routing.adapters.time_limits import load_rule_book
from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.time_limits import (
    NoTimeLimits,
    RuleBook,
    TimeLimit,
    TimeLimitSet,
    Unit,
)

CAL = WorkingDayCalendar()


def test_the_day_of_the_event_is_not_counted_and_weekends_are_skipped():
    # Friday 6 Nov 2026: five working days after it end on Friday 13 Nov.
    count = CAL.add_working_days(date(2026, 11, 6), 5)
    assert count.end == date(2026, 11, 13)
    assert [d.day for d in count.skipped] == [date(2026, 11, 7), date(2026, 11, 8)]


def test_deadline_skips_tet_and_weekends():
    # Received Thursday 12 Feb 2026; Tết holidays run 16–20 Feb 2026.
    count = CAL.add_working_days(date(2026, 2, 12), 5)
    assert count.end == date(2026, 2, 26)
    assert date(2026, 2, 17) in [d.day for d in count.skipped]
    assert any("Tết Nguyên Đán" in d.why for d in count.skipped)


def test_an_announced_make_up_saturday_is_a_working_day_and_its_day_off_is_not():
    assert CAL.is_working_day(date(2026, 8, 22))  # Saturday, worked in exchange for 31 Aug
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert not CAL.is_working_day(date(2026, 8, 29))  # an ordinary Saturday


def test_a_calendar_day_period_ending_on_a_day_off_ends_on_the_next_working_day():
    # 15 days after Sat 17 Oct 2026 is Sunday 1 Nov → Monday 2 Nov.
    count = CAL.add_days(date(2026, 10, 17), 15)
    assert count.end == date(2026, 11, 2)
    assert [d.day for d in count.skipped] == [date(2026, 11, 1)]


def test_a_period_of_days_ending_on_a_working_day_ends_that_day():
    assert CAL.add_days(date(2026, 10, 15), 15).end == date(2026, 10, 30)


def test_extra_days_off_and_working_days_an_admin_enters_are_honoured():
    cal = CAL.with_extra(days_off=[(date(2026, 11, 10), "Bão số 13")],
                         working_days=[(date(2026, 11, 14), "Làm bù")])
    assert not cal.is_working_day(date(2026, 11, 10))
    assert cal.is_working_day(date(2026, 11, 14))
    assert cal.why_not_working(date(2026, 11, 10)) == "Bão số 13"


def test_local_dates_are_taken_in_vietnam_not_utc():
    # 18:00 UTC on 5 Nov is 01:00 on 6 Nov in Hà Nội.
    assert local_date(datetime(2026, 11, 5, 18, tzinfo=UTC)) == date(2026, 11, 6)


def limits(id_, kind, start, accept=5):
    return TimeLimitSet(id_, kind, start, "test", TimeLimit(accept, Unit.WORKING_DAYS),
                        TimeLimit(15, Unit.DAYS), TimeLimit(15, Unit.DAYS), 1)


def test_a_case_is_timed_by_the_rule_set_in_force_on_the_day_it_was_received():
    book = RuleBook([limits("old", "accountability_request", date(2019, 8, 10)),
                     limits("new", "accountability_request", date(2026, 7, 1), accept=3),
                     limits("fb", "feedback", date(2019, 8, 10), accept=7)])
    assert book.in_force("accountability_request", date(2026, 6, 30)).id == "old"
    assert book.in_force("accountability_request", date(2026, 7, 1)).id == "new"
    assert book.in_force("feedback", date(2026, 7, 1)).accept.amount == 7
    with pytest.raises(NoTimeLimits):
        book.in_force("accountability_request", date(2019, 1, 1))


def test_the_shipped_rule_book_has_the_decrees_numbers():
    book = load_rule_book()
    decree = book.in_force("accountability_request", date(2026, 11, 28))
    assert (decree.accept, decree.explain, decree.extension_max, decree.max_extensions) == (
        TimeLimit(5, Unit.WORKING_DAYS), TimeLimit(15, Unit.DAYS), TimeLimit(15, Unit.DAYS), 1)
    assert "59/2019" in decree.legal_basis
    assert book.in_force("feedback", date(2026, 11, 28)).kind == "feedback"


def test_two_sets_with_one_id_are_refused():
    with pytest.raises(ValueError, match="share an id"):
        RuleBook([limits("x", "feedback", date(2020, 1, 1)), limits("x", "feedback", date(2021, 1, 1))])
