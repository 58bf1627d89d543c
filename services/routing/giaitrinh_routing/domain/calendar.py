"""Lịch ngày làm việc — the working-day calendar deadlines are counted on.

Working days are Monday to Friday, less Vietnamese public holidays (Tết included) and the days
off the government announces, plus the Saturdays it declares make-up working days — all as the
`holidays` package (country VN) knows them, with extra days an admin enters on top.

Counting follows the Civil Code 2015, Art. 147–148: the day of the event is not counted; a
period in working days counts only working days after it; a period in days that ends on a day
off ends at the close of the next working day. Dates are local dates in Asia/Ho_Chi_Minh.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local_date(moment: datetime) -> date:
    """The date in Vietnam of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("a moment must carry its UTC offset")
    return moment.astimezone(VIETNAM).date()


@dataclass(frozen=True)
class SkippedDay:
    """A day a count passed over, and why (for ``--json`` and the case page)."""

    day: date
    why: str


@dataclass(frozen=True)
class Count:
    """The end of a period and the days it skipped."""

    start: date
    end: date
    skipped: tuple[SkippedDay, ...] = ()


@dataclass
class WorkingDayCalendar:
    """Which days are working days in Vietnam (ngày làm việc)."""

    extra_days_off: dict[date, str] = field(default_factory=dict)
    extra_working_days: dict[date, str] = field(default_factory=dict)
    _years: dict[int, holidays.HolidayBase] = field(default_factory=dict, repr=False)

    def _official(self, year: int) -> holidays.HolidayBase:
        if year not in self._years:
            self._years[year] = holidays.country_holidays("VN", years=year, language="vi")
        return self._years[year]

    def why_not_working(self, day: date) -> str | None:
        """None on a working day; else the reason it is not one."""
        if day in self.extra_working_days:
            return None
        if day in self.extra_days_off:
            return self.extra_days_off[day]
        official = self._official(day.year)
        if official.is_working_day(day):
            return None
        return official.get(day) or ("Thứ Bảy" if day.weekday() == 5 else "Chủ nhật")

    def is_working_day(self, day: date) -> bool:
        return self.why_not_working(day) is None

    def add_working_days(self, start: date, n: int) -> Count:
        """The ``n``-th working day after ``start`` (``start`` itself not counted)."""
        if n < 0:
            raise ValueError("a period cannot be negative")
        day, counted, skipped = start, 0, []
        while counted < n:
            day += timedelta(days=1)
            reason = self.why_not_working(day)
            if reason is None:
                counted += 1
            else:
                skipped.append(SkippedDay(day, reason))
        return Count(start, day, tuple(skipped))

    def working_days_before(self, end: date, n: int) -> date:
        """The ``n``-th working day before ``end``: from that day on, ``end`` is at most ``n``
        working days away."""
        day, counted = end, 0
        while counted < n:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def add_days(self, start: date, n: int) -> Count:
        """``n`` calendar days after ``start``; a period ending on a day off ends on the next
        working day."""
        if n < 0:
            raise ValueError("a period cannot be negative")
        day, skipped = start + timedelta(days=n), []
        while (reason := self.why_not_working(day)) is not None:
            skipped.append(SkippedDay(day, reason))
            day += timedelta(days=1)
        return Count(start, day, tuple(skipped))

    def with_extra(self, days_off: Iterable[tuple[date, str]] = (),
                   working_days: Iterable[tuple[date, str]] = ()) -> WorkingDayCalendar:
        """A calendar with more days off or make-up working days than the official ones."""
        return WorkingDayCalendar({**self.extra_days_off, **dict(days_off)},
                                  {**self.extra_working_days, **dict(working_days)})
