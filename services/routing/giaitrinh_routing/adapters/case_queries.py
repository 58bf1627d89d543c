"""The officials' lists of cases (read side): which case ids a principal sees, filtered and
paged by the indexes of ``cases``; the cases themselves come from the repository."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import cases


def case_ids_page(session: Session, *, localities: Iterable[str] | None, state: str | None,
                  field: str | None, overdue_on: date | None, offset: int,
                  limit: int) -> tuple[list[str], int]:
    """Ids of the cases of ``localities`` (None: every locality), newest first, and how many
    there are. ``overdue_on``: only those whose current step is late on that day (a request
    not accepted or refused by ``accept_by``, an explanation not given by ``answer_by``)."""
    where = []
    if localities is not None:
        where.append(cases.c.locality_code.in_(sorted(localities)))
    if state is not None:
        where.append(cases.c.state == state)
    if field is not None:
        where.append(cases.c.field == field)
    if overdue_on is not None:
        where.append(sa.or_(sa.and_(cases.c.state == "received", cases.c.accept_by < overdue_on),
                            sa.and_(cases.c.state == "accepted", cases.c.answer_by < overdue_on)))
    total = session.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    ids = session.execute(sa.select(cases.c.id).where(*where)
                          .order_by(cases.c.registered_at.desc(), cases.c.id).offset(offset).limit(limit)).scalars()
    return list(ids), total
