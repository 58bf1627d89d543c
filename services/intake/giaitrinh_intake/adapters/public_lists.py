"""Lists of requests for public answers (Open311's ``GET requests``): which requests match, newest
first, a page at a time. Only ids come back; the caller loads each through the repository and
shows its public properties, never its requester."""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_intake.adapters.orm import requests, timeline_entries

# The case's states after which nothing more happens to the request (Open311's "closed").
CLOSED_STATES = ("refused", "closed", "withdrawn", "merged")


def _latest_state():
    t = timeline_entries
    return (sa.select(t.c.state).where(t.c.request_id == requests.c.id, t.c.case_version.is_not(None))
            .order_by(t.c.case_version.desc()).limit(1).scalar_subquery())


def matching_request_ids(session: Session, *, locality_code: str, fields: Collection[str] = (),
                         start: datetime | None = None, end: datetime | None = None,
                         open_or_closed: Collection[str] = (), limit: int = 100, offset: int = 0) -> list[str]:
    """Ids of ``locality_code``'s requests submitted in [start, end], of one of ``fields`` and
    ``open_or_closed`` (each filter left out when empty), newest first."""
    r = requests.c
    query = sa.select(r.id).where(r.locality_code == locality_code)
    if fields:
        query = query.where(r.field.in_(list(fields)))
    if start is not None:
        query = query.where(r.submitted_at >= start)
    if end is not None:
        query = query.where(r.submitted_at <= end)
    wanted = set(open_or_closed)
    if wanted == {"closed"}:
        query = query.where(_latest_state().in_(CLOSED_STATES))
    elif wanted == {"open"}:
        state = _latest_state()
        query = query.where(sa.or_(state.is_(None), state.not_in(CLOSED_STATES)))
    query = query.order_by(r.submitted_at.desc(), r.id).limit(limit).offset(offset)
    return list(session.execute(query).scalars())
