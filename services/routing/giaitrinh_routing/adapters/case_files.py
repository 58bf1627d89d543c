"""The files of each case, on the unit of work's session: the request's (``case_request_files``:
what they are; intake keeps them)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import case_request_files
from giaitrinh_routing.domain.case_files import CaseFile


class SqlCaseFiles:
    """Written with the case; read by those who may see the case (the caller checks)."""

    def __init__(self, session: Session):
        self.session = session

    def add_request_files(self, case_id: str, files: list[CaseFile]) -> None:
        if files:
            self.session.execute(sa.insert(case_request_files), [
                {"case_id": case_id, "position": n, **f.as_dict()} for n, f in enumerate(files)])

    def request_files(self, case_id: str) -> list[CaseFile]:
        rows = self.session.execute(
            sa.select(case_request_files).where(case_request_files.c.case_id == case_id)
            .order_by(case_request_files.c.position)).mappings()
        return [CaseFile(r["id"], r["filename"], r["media_type"], r["size"]) for r in rows]
