"""The console's inbox (read side): which cases a person has in front of them, soonest deadline
first. The next deadline is the one of the current step — ``accept_by`` while the case waits
to be accepted or refused, ``answer_by`` while it is being explained — kept in its own column
so that the order walks the index ``(locality_code, next_deadline)`` instead of sorting every
case of the locality."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import cases

# The states whose step has a deadline, and the column that holds it.
_DEADLINE_OF = {"received": cases.c.accept_by, "accepted": cases.c.answer_by}
# The column the repository keeps on every save (index ix_cases_inbox, migration 0008_inbox).
NEXT_DEADLINE = cases.c.next_deadline


@dataclass(frozen=True)
class InboxScope:
    """Whose cases: ``localities`` (None: every locality, a provincial admin), narrowed to a
    unit's (``unit_code``) or also to cases given to one official (``official_id``)."""

    localities: Iterable[str] | None
    unit_code: str | None = None
    official_id: str | None = None


def inbox_page(session: Session, scope: InboxScope, *, state: str | None = None,
               field: str | None = None, overdue_on: date | None = None, offset: int = 0,
               limit: int = 25) -> tuple[list[str], int]:
    """Ids of the cases in ``scope``, the soonest next deadline first (cases with no deadline
    pending last, newest first among them), and how many there are. ``overdue_on``: only
    those whose current step is late on that day."""
    where = []
    if scope.localities is not None:
        where.append(cases.c.locality_code.in_(sorted(scope.localities)))
    if scope.unit_code is not None or scope.official_id is not None:
        mine = []
        if scope.unit_code is not None:
            mine.append(cases.c.unit_code == scope.unit_code)
        if scope.official_id is not None:
            mine.append(cases.c.official_id == scope.official_id)
        where.append(sa.or_(*mine))
    if state is not None:
        where.append(cases.c.state == state)
    if field is not None:
        where.append(cases.c.field == field)
    if overdue_on is not None:
        where.append(sa.or_(*(sa.and_(cases.c.state == s, col < overdue_on) for s, col in _DEADLINE_OF.items())))
    total = session.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    ids = session.execute(
        sa.select(cases.c.id).where(*where)
        .order_by(NEXT_DEADLINE.asc().nulls_last(), cases.c.registered_at.desc(), cases.c.id)
        .offset(offset).limit(limit)).scalars()
    return list(ids), total
