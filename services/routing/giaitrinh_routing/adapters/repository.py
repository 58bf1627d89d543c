"""SQL repositories for cases and localities, on the unit of work's session."""
from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import cases, localities
from giaitrinh_routing.domain.model import Case, CaseState, Locality


class SqlCaseRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, case: Case) -> None:
        self.session.execute(sa.insert(cases).values(
            id=case.id, request_id=case.request_id, tracking_code=case.tracking_code,
            kind=case.kind, field=case.field, locality_code=case.locality_code,
            state=case.state.value, registered_at=case.registered_at))

    def for_request(self, request_id: str) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.request_id == request_id)).mappings().first()
        if row is None:
            return None
        at = row["registered_at"]
        return Case(row["id"], row["request_id"], row["tracking_code"], row["kind"], row["field"],
                    row["locality_code"], CaseState(row["state"]),
                    at if at.tzinfo else at.replace(tzinfo=UTC))

    def count(self) -> int:
        return self.session.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one()


class SqlLocalityRegistry:
    def __init__(self, session: Session):
        self.session = session

    def known_codes(self) -> set[str]:
        return set(self.session.execute(sa.select(localities.c.code)).scalars())

    def add(self, locality: Locality) -> None:
        self.session.execute(sa.insert(localities).values(
            code=locality.code, name=locality.name, province_code=locality.province_code,
            division_type=locality.division_type))

    def page(self, province_code: str | None, offset: int, limit: int) -> tuple[list[Locality], int]:
        where = localities.c.province_code == province_code if province_code else sa.true()
        total = self.session.execute(sa.select(sa.func.count()).select_from(localities).where(where)).scalar_one()
        rows = self.session.execute(sa.select(localities).where(where).order_by(localities.c.code)
                                    .offset(offset).limit(limit)).mappings().all()
        return [Locality(r["code"], r["name"], r["province_code"], r["division_type"]) for r in rows], total
