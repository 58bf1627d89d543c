"""SQL repositories for cases and localities, on the unit of work's session."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import case_steps, cases, commitments, localities
from giaitrinh_routing.domain.case import Case, CaseState, VersionConflict
from giaitrinh_routing.domain.model import Locality


class SqlCaseRepository:
    """Cases on the unit of work's session. ``save`` writes a changed case with an optimistic
    version check, appends its steps to ``case_steps`` and its commitments to ``commitments``;
    the unit of work turns the steps of the cases it has ``seen`` into contract events."""

    def __init__(self, session: Session):
        self.session = session
        self.seen: list[Case] = []

    def add(self, case: Case) -> None:
        self.session.execute(sa.insert(cases).values(**self._columns(case)))
        self.seen.append(case)

    def get(self, case_id: str) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
        return self._case(row) if row is not None else None

    def for_request(self, request_id: str) -> Case | None:
        row = self.session.execute(sa.select(cases).where(cases.c.request_id == request_id)).mappings().first()
        return self._case(row) if row is not None else None

    def save(self, case: Case, read_version: int, promises=()) -> None:
        """Write ``case`` if nobody changed it since it was read at ``read_version``; raise
        :class:`VersionConflict` otherwise (the caller's transaction then rolls back)."""
        values = self._columns(case)
        del values["id"]
        done = self.session.execute(sa.update(cases).where(
            cases.c.id == case.id, cases.c.version == read_version).values(**values))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionConflict(f"case {case.id} changed since version {read_version}")
        first = case.version - len(case.events) + 1  # the steps taken since it was read
        for offset, step in enumerate(case.events):
            self.session.execute(sa.insert(case_steps).values(
                case_id=case.id, version=first + offset, action=step.action, at=step.at,
                actor_id=step.actor.id if step.actor else None,
                actor_role=step.actor.role.value if step.actor else None,
                reason=step.reason, details=json.dumps(step.details, ensure_ascii=False)))
        for promise in promises:
            self.session.execute(sa.insert(commitments).values(
                id=promise.id, case_id=case.id, content=promise.content, unit_code=promise.unit_code,
                due_on=promise.due_on, status="open", made_at=case.events[-1].at))
        self.seen.append(case)

    def steps(self, case_id: str) -> list[dict]:
        rows = self.session.execute(sa.select(case_steps).where(case_steps.c.case_id == case_id)
                                    .order_by(case_steps.c.version)).mappings().all()
        return [{**dict(r), "at": _aware(r["at"]), "details": json.loads(r["details"])} for r in rows]

    def commitments_of(self, case_id: str) -> list[dict]:
        rows = self.session.execute(sa.select(commitments).where(commitments.c.case_id == case_id)
                                    .order_by(commitments.c.due_on)).mappings().all()
        return [dict(r) for r in rows]

    def count(self) -> int:
        return self.session.execute(sa.select(sa.func.count()).select_from(cases)).scalar_one()

    @staticmethod
    def _columns(case: Case) -> dict:
        return dict(id=case.id, request_id=case.request_id, tracking_code=case.tracking_code,
                    kind=case.kind, field=case.field, locality_code=case.locality_code,
                    state=case.state.value, registered_at=case.registered_at,
                    time_limits_id=case.time_limits_id, accept_by=case.accept_by,
                    answer_by=case.answer_by, unit_code=case.unit_code,
                    official_id=case.official_id, extensions=case.extensions,
                    suspended_on=case.suspended_on, flagged=case.flagged,
                    merged_into=case.merged_into, version=case.version)

    @staticmethod
    def _case(row) -> Case:
        return Case(id=row["id"], request_id=row["request_id"], tracking_code=row["tracking_code"],
                    kind=row["kind"], field=row["field"], locality_code=row["locality_code"],
                    state=CaseState(row["state"]), registered_at=_aware(row["registered_at"]),
                    time_limits_id=row["time_limits_id"], accept_by=row["accept_by"],
                    answer_by=row["answer_by"], unit_code=row["unit_code"],
                    official_id=row["official_id"], extensions=row["extensions"],
                    suspended_on=row["suspended_on"], flagged=bool(row["flagged"]),
                    merged_into=row["merged_into"], version=row["version"])


def _aware(at: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


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
