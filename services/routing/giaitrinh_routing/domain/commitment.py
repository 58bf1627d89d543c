"""Cam kết sau giải trình — a promise made in an explanation, tracked to completion.

Each commitment has a responsible unit and a due date (Case.answer refuses one without). It is
reminded ``lead`` working days before its due date, flagged overdue the day after it, and
completed with evidence of what was done; the requester and supervisors follow it (its events
reach intake's timeline and scoring).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.case import (
    REASON_MAX,
    Actor,
    InvalidAction,
    NotPermitted,
    Problem,
    Role,
)

OPEN, DONE = "open", "done"


class CommitmentAlreadyDone(Exception):
    """The commitment was completed before (HTTP 409): its evidence stands."""


@dataclass
class Commitment:
    id: str
    case_id: str
    request_id: str
    locality_code: str
    content: str
    unit_code: str
    due_on: date
    status: str = OPEN
    completed_at: datetime | None = None
    evidence: str = ""
    reminded: bool = False
    flagged_overdue: bool = False

    def complete(self, actor: Actor, now: datetime, evidence: str) -> None:
        """Hoàn thành: with evidence of what was done; by the responsible unit or a head."""
        if actor.role is not Role.SYSTEM and self.locality_code not in actor.localities:
            raise NotPermitted("the commitment belongs to another locality", hidden=True)
        if actor.role not in {Role.OFFICIAL, Role.UNIT_HEAD, Role.LOCALITY_HEAD}:
            raise NotPermitted(f"a {actor.role.value} may not complete a commitment")
        if actor.role is Role.OFFICIAL and actor.unit_code != self.unit_code:
            raise NotPermitted("the commitment belongs to another unit")
        if self.status != OPEN:
            raise CommitmentAlreadyDone(self.id)
        if not evidence.strip():
            raise InvalidAction([Problem("evidence", "required", "Hãy nêu kết quả thực hiện cam kết.",
                                         "Say what was done (the evidence).")])
        if len(evidence) > REASON_MAX:
            raise InvalidAction([Problem("evidence", "too_long", f"Tối đa {REASON_MAX} ký tự.",
                                         f"At most {REASON_MAX} characters.")])
        self.status, self.completed_at, self.evidence = DONE, now, evidence.strip()

    @property
    def completed_on_time(self) -> bool | None:
        if self.completed_at is None:
            return None
        return local_date(self.completed_at) <= self.due_on

    def alerts_due(self, today: date, calendar: WorkingDayCalendar, lead: int) -> list[str]:
        """``due_soon`` and/or ``overdue`` to raise today (each once)."""
        if self.status != OPEN:
            return []
        out = []
        if (not self.reminded and today <= self.due_on
                and today >= calendar.working_days_before(self.due_on, lead)):
            out.append("due_soon")
        if not self.flagged_overdue and today > self.due_on:
            out.append("overdue")
        return out

    def next_watch(self, today: date, calendar: WorkingDayCalendar, lead: int) -> date | None:
        """When the watcher should look at it next (None: nothing left to say)."""
        if self.status != OPEN:
            return None
        later = []
        if not self.reminded and today <= self.due_on:
            later.append(max(calendar.working_days_before(self.due_on, lead), today + timedelta(days=1)))
        if not self.flagged_overdue:
            later.append(self.due_on + timedelta(days=1))
        return min(later, default=None)
