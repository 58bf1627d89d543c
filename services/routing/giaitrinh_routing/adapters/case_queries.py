"""The officials' lists of cases (read side): which case ids a principal sees, filtered and
paged by the indexes of ``cases``; the cases themselves come from the repository."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.inbox_queries import CaseFilters, scope_where
from giaitrinh_routing.adapters.orm import cases


def case_ids_page(session: Session, *, localities: Iterable[str] | None, filters: CaseFilters,
                  offset: int, limit: int) -> tuple[list[str], int]:
    """Ids of the cases of ``localities`` (None: every locality) matching ``filters``, newest
    first, and how many there are."""
    where = scope_where(localities) + filters.where()
    total = session.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    ids = session.execute(sa.select(cases.c.id).where(*where)
                          .order_by(cases.c.registered_at.desc(), cases.c.id).offset(offset).limit(limit)).scalars()
    return list(ids), total
