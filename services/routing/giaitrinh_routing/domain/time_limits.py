"""Thời hạn — the statutory time limits, as data versioned by effective date.

Decree 59/2019/NĐ-CP (accountability, implementing the Anti-Corruption Law 36/2018/QH14):
- Art. 12: accept or refuse a request, with written notice, within 5 working days of receipt;
- Art. 13: explain within 15 days of the acceptance notice; a complex case may be extended
  once, by at most 15 days, with written notice;
- Art. 14: time suspended does not count.
Law 132/2025/QH15 (in force 1 July 2026) rewrites these provisions and its implementing decree
may change the numbers, so the numbers are a **rule set per request kind, versioned by the date
it takes effect**; a case is timed by the set in force on the day it was received, for its whole
life. Feedback (*phản ánh, kiến nghị*) has its own set. The sets live in a data file
(``giaitrinh_routing/time_limits.json``), read by an adapter; adding one needs no code.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from giaitrinh_routing.domain.calendar import Count, WorkingDayCalendar


class Unit(StrEnum):
    WORKING_DAYS = "working_days"  # ngày làm việc
    DAYS = "days"  # ngày (calendar days; ends on the next working day if on a day off)


@dataclass(frozen=True)
class TimeLimit:
    """A period: ``amount`` of ``unit`` after the day of the event."""

    amount: int
    unit: Unit

    def end(self, calendar: WorkingDayCalendar, start: date) -> Count:
        if self.unit is Unit.WORKING_DAYS:
            return calendar.add_working_days(start, self.amount)
        return calendar.add_days(start, self.amount)

    def describe(self) -> str:
        return f"{self.amount} {'ngày làm việc' if self.unit is Unit.WORKING_DAYS else 'ngày'}"


@dataclass(frozen=True)
class TimeLimitSet:
    """Bộ thời hạn: the limits for one kind of request, in force from ``effective_from``."""

    id: str
    kind: str
    effective_from: date
    legal_basis: str
    accept: TimeLimit
    explain: TimeLimit
    extension_max: TimeLimit
    max_extensions: int

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TimeLimitSet:
        def limit(name: str) -> TimeLimit:
            value = raw[name]
            return TimeLimit(int(value["amount"]), Unit(value["unit"]))

        return cls(id=str(raw["id"]), kind=str(raw["kind"]),
                   effective_from=date.fromisoformat(raw["effective_from"]),
                   legal_basis=str(raw["legal_basis"]), accept=limit("accept"),
                   explain=limit("explain"), extension_max=limit("extension_max"),
                   max_extensions=int(raw["max_extensions"]))


class NoTimeLimits(LookupError):
    """No rule set covers this kind on this day."""


class RuleBook:
    """Every rule set; picks the one in force for a kind on a day."""

    def __init__(self, sets: Iterable[TimeLimitSet]):
        self.sets = sorted(sets, key=lambda s: (s.kind, s.effective_from))
        ids = [s.id for s in self.sets]
        if len(ids) != len(set(ids)):
            raise ValueError("two time-limit sets share an id")

    def in_force(self, kind: str, on: date) -> TimeLimitSet:
        found = [s for s in self.sets if s.kind == kind and s.effective_from <= on]
        if not found:
            raise NoTimeLimits(f"no time limits for {kind!r} on {on.isoformat()}")
        return found[-1]

    def by_id(self, set_id: str) -> TimeLimitSet:
        for s in self.sets:
            if s.id == set_id:
                return s
        raise NoTimeLimits(f"no time-limit set {set_id!r}")
