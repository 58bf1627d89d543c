"""The requester's contact of each case (``case_requesters``), on the unit of work's session."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import case_requesters
from giaitrinh_routing.domain.requester import RequesterContact


class SqlRequesters:
    """One row per case, written with the case when its request arrives; read only for those
    :func:`~giaitrinh_routing.domain.requester.may_read_requester` admits (the caller checks)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, case_id: str, contact: RequesterContact) -> None:
        self.session.execute(sa.insert(case_requesters).values(
            case_id=case_id, requester_type=contact.requester_type, email=contact.email, phone=contact.phone))

    def of(self, case_id: str) -> RequesterContact | None:
        """None for a case registered before routing kept its requester (0010_case_requesters)."""
        row = self.session.execute(sa.select(case_requesters).where(case_requesters.c.case_id == case_id)
                                   ).mappings().first()
        return RequesterContact(row["requester_type"], row["email"], row["phone"]) if row else None
