"""The officials' lists of cases (read side): which case ids a principal sees, filtered and
paged by the indexes of ``cases``; the cases themselves come from the repository.

Newest first walks ``ix_cases_newest (locality_code, registered_at, id)`` backwards
(0015_cases_newest): without it every page sorted the locality's cases (49–86 ms on 100,000 in
bench/README.md, "inbox"); a provincial admin's list, of every locality, walks
``ix_cases_newest_province (registered_at, id)`` the same way (0018_cases_newest_province).
The total is counted up to :data:`COUNT_CAP` only: an exact ``count(*)`` read every matching
case on every page (23–32 ms on 100,000); past the cap the list says its total is a lower bound."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.inbox_queries import CaseFilters, scope_where
from giaitrinh_routing.adapters.orm import cases

# How far the list counts: up to this many matching cases the total is exact; past it the
# total is this number and a lower bound.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class CaseIdsPage:
    """One page of case ids, newest first, and how many match: exactly ``total``, or — when
    ``total_is_lower_bound`` — at least ``total`` (more than :data:`COUNT_CAP` matched)."""

    ids: list[str]
    total: int
    total_is_lower_bound: bool


def case_ids_page(session: Session, *, localities: Iterable[str] | None, filters: CaseFilters,
                  offset: int, limit: int, cap: int = COUNT_CAP) -> CaseIdsPage:
    """Ids of the cases of ``localities`` (None: every locality) matching ``filters``, newest
    first, and how many there are, counted up to ``cap``."""
    where = scope_where(localities) + filters.where()
    # One row past the cap tells "exactly cap" from "more"; the LIMIT stops the count there.
    matching = sa.select(sa.literal(1)).select_from(cases).where(*where).limit(cap + 1).subquery()
    counted = session.execute(sa.select(sa.func.count()).select_from(matching)).scalar_one()
    ids = session.execute(sa.select(cases.c.id).where(*where)
                          .order_by(cases.c.registered_at.desc(), cases.c.id.desc())
                          .offset(offset).limit(limit)).scalars()
    return CaseIdsPage(list(ids), min(counted, cap), counted > cap)
