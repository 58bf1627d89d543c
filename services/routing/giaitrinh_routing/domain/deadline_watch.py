"""Theo dõi thời hạn — what the deadline watcher says about a case on a given day.

For the step a case waits on (accept or refuse while received; explain while accepted), three
alerts, each raised once per case, step and deadline (a new deadline after an extension gets
its own):
- ``due_soon``: from ``lead_working_days`` working days before the deadline, to the official;
- ``overdue``: from the day after the deadline, escalated to the unit head;
- ``escalated``: ``escalate_after_working_days`` working days after the deadline, still not
  done, escalated to the locality head (Chủ tịch UBND).
Plain functions of the case, the day and the calendar; "today" comes from the injected clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from giaitrinh_routing.domain.calendar import WorkingDayCalendar
from giaitrinh_routing.domain.case import Case, CaseState


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn
    ESCALATED = "escalated"  # quá hạn kéo dài, báo lên Chủ tịch UBND


ESCALATE_TO = {AlertKind.DUE_SOON: None, AlertKind.OVERDUE: "unit_head",
               AlertKind.ESCALATED: "locality_head"}


@dataclass(frozen=True)
class WatchPolicy:
    lead_working_days: int = 2
    escalate_after_working_days: int = 3


DEFAULT_POLICY = WatchPolicy()


@dataclass(frozen=True)
class DeadlineAlert:
    step: str  # accept | answer
    kind: AlertKind
    deadline: date
    starts_on: date

    @property
    def escalate_to(self) -> str | None:
        return ESCALATE_TO[self.kind]

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.step, self.kind.value, self.deadline)


def pending_step(case: Case) -> tuple[str, date] | None:
    """The step the case waits on and its deadline (None when nothing is pending)."""
    if case.state is CaseState.RECEIVED and case.accept_by is not None:
        return "accept", case.accept_by
    if case.state is CaseState.ACCEPTED and case.answer_by is not None:
        return "answer", case.answer_by
    return None


def alerts_for(case: Case, calendar: WorkingDayCalendar, policy: WatchPolicy) -> list[DeadlineAlert]:
    """Every alert of the pending step, with the day each one starts."""
    pending = pending_step(case)
    if pending is None:
        return []
    step, deadline = pending
    return [
        DeadlineAlert(step, AlertKind.DUE_SOON, deadline,
                      calendar.working_days_before(deadline, policy.lead_working_days)),
        DeadlineAlert(step, AlertKind.OVERDUE, deadline, deadline + timedelta(days=1)),
        DeadlineAlert(step, AlertKind.ESCALATED, deadline,
                      calendar.add_working_days(deadline, policy.escalate_after_working_days).end),
    ]


def due_alerts(case: Case, today: date, calendar: WorkingDayCalendar, policy: WatchPolicy,
               raised: set[tuple[str, str, date]]) -> list[DeadlineAlert]:
    """The alerts to raise today: started, not yet raised. A due-soon alert whose deadline
    already passed is not raised (the overdue one says more)."""
    out = []
    for alert in alerts_for(case, calendar, policy):
        if alert.starts_on > today or alert.key in raised:
            continue
        if alert.kind is AlertKind.DUE_SOON and today > alert.deadline:
            continue
        out.append(alert)
    return out


def next_watch(case: Case, today: date, calendar: WorkingDayCalendar, policy: WatchPolicy,
               raised: set[tuple[str, str, date]]) -> date | None:
    """The first day after ``today`` an alert not raised yet starts (None: nothing left)."""
    later = [a.starts_on for a in alerts_for(case, calendar, policy)
             if a.key not in raised and a.starts_on > today]
    return min(later, default=None)


def first_watch(case: Case, calendar: WorkingDayCalendar, policy: WatchPolicy) -> date | None:
    """When the watcher should first look at a case whose deadlines just changed."""
    return min((a.starts_on for a in alerts_for(case, calendar, policy)), default=None)
