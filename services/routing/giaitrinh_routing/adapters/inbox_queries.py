"""The console's inbox (read side): which cases a person has in front of them, soonest deadline
first. The next deadline is the one of the current step — ``accept_by`` while the case waits
to be accepted or refused, ``answer_by`` while it is being explained — kept in its own column
so that the order walks the index ``(locality_code, next_deadline)`` instead of sorting every
case of the locality.

The page does not count the locality: an exact ``count(*)`` read every matching case, 100,000
rows on a busy ward, and was most of the page's time (bench/README.md, "inbox"). The query for
the page reads on through :data:`PAGES_AHEAD` more pages instead — the same walk of the index,
a few more rows — and the page says "more than" past them."""
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
# How many pages past this one the inbox counts (and links): the pager's reach.
PAGES_AHEAD = 4


@dataclass(frozen=True)
class InboxScope:
    """Whose cases: ``localities`` (None: every locality, a provincial admin), narrowed to a
    unit's (``unit_code``) or also to cases given to one official (``official_id``)."""

    localities: Iterable[str] | None
    unit_code: str | None = None
    official_id: str | None = None


@dataclass(frozen=True)
class CaseFilters:
    """What a list of cases is narrowed to; None: any. ``overdue_on``: only the cases whose
    current step is late on that day (a request not accepted or refused by ``accept_by``, an
    explanation not given by ``answer_by``)."""

    state: str | None = None
    field: str | None = None
    channel: str | None = None
    overdue_on: date | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        where = []
        if self.state is not None:
            where.append(cases.c.state == self.state)
        if self.field is not None:
            where.append(cases.c.field == self.field)
        if self.channel is not None:
            where.append(cases.c.channel == self.channel)
        if self.overdue_on is not None:
            where.append(sa.or_(*(sa.and_(cases.c.state == s, col < self.overdue_on)
                                  for s, col in _DEADLINE_OF.items())))
        return where


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: its case ids in order, and how many match — ``counted`` exactly
    when ``more`` is false, else at least ``counted`` and more."""

    ids: list[str]
    counted: int
    more: bool


def scope_where(localities: Iterable[str] | None) -> list[sa.ColumnElement[bool]]:
    return [] if localities is None else [cases.c.locality_code.in_(sorted(localities))]


def inbox_page(session: Session, scope: InboxScope, filters: CaseFilters = CaseFilters(), *,
               offset: int = 0, limit: int = 25, pages_ahead: int | None = None) -> InboxPage:
    """The cases in ``scope`` matching ``filters``, the soonest next deadline first (cases with
    no deadline pending last, newest first among them), from ``offset``; counted up to the end
    of the page ``pages_ahead`` (default :data:`PAGES_AHEAD`) after this one."""
    where = scope_where(scope.localities) + filters.where()
    if scope.unit_code is not None or scope.official_id is not None:
        mine = []
        if scope.unit_code is not None:
            mine.append(cases.c.unit_code == scope.unit_code)
        if scope.official_id is not None:
            mine.append(cases.c.official_id == scope.official_id)
        where.append(sa.or_(*mine))
    reach = limit * (1 + (PAGES_AHEAD if pages_ahead is None else pages_ahead))
    # One row past the reach tells "more" from "exactly".
    ids = list(session.execute(
        sa.select(cases.c.id).where(*where)
        .order_by(NEXT_DEADLINE.asc().nulls_last(), cases.c.registered_at.desc(), cases.c.id)
        .offset(offset).limit(reach + 1)).scalars())
    if ids or offset == 0:
        return InboxPage(ids[:limit], offset + min(len(ids), reach), len(ids) > reach)
    # A page past the end (a typed or stale link): fewer than ``offset`` match; say how many.
    matching = sa.select(sa.literal(1)).select_from(cases).where(*where).limit(offset).subquery()
    return InboxPage([], session.execute(sa.select(sa.func.count()).select_from(matching)).scalar_one(), False)
