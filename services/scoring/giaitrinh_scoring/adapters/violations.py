"""Violation flags and the cases they are about, on the unit of work's session."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from giaitrinh_scoring.adapters.orm import case_transfers as transfers
from giaitrinh_scoring.adapters.orm import cases_on_record as cases
from giaitrinh_scoring.adapters.orm import violation_flags as flags
from giaitrinh_scoring.adapters.stored import utc
from giaitrinh_scoring.domain.violations import CaseOnRecord, Transfer, ViolationFlag


class Raised(StrEnum):
    NEW = "new"  # the first telling: counted and told to notify
    EARLIER = "earlier"  # told before by a later event: the flag now names this, the earliest
    KNOWN = "known"  # told before by an earlier (or the same) event: nothing changes


def _flag(row: Any) -> ViolationFlag:
    values = {k: v for k, v in row.items() if k != "id"}
    return ViolationFlag(**{**values, "raised_at": utc(values["raised_at"]),
                            "units": tuple(values.get("units") or ())})


def _row(flag: ViolationFlag) -> dict[str, Any]:
    return {**asdict(flag), "units": list(flag.units) or None}


class SqlViolationFlags:
    def __init__(self, session: Session):
        self.session = session

    def raise_flag(self, flag: ViolationFlag) -> tuple[Raised, ViolationFlag | None]:
        """Store ``flag`` unless its (case, kind, step) is stored; answer what happened and the
        flag as it was before (None when new). Events of one case come one at a time (one key,
        one partition); should two workers ever race, the unique key fails the second insert,
        its transaction rolls back, and the consumer's retry finds the first's row."""
        stored = self.get(*flag.key)
        if stored is None:
            self.session.execute(sa.insert(flags).values(id=flag.id, **_row(flag)))
            return Raised.NEW, None
        if not flag.is_earlier_than(stored):
            return Raised.KNOWN, stored
        # The earlier telling names the flag: the units a repeatedly transferred case went
        # through are those up to the transfer that now raises it, as they are in order.
        self.session.execute(sa.update(flags).where(flags.c.id == flag.id).values(
            raised_by=flag.raised_by, raised_by_type=flag.raised_by_type, raised_at=flag.raised_at,
            **({"units": list(flag.units), "unit_code": flag.unit_code} if flag.units else {})))
        return Raised.EARLIER, stored

    def get(self, case_id: str, kind: str, step: str) -> ViolationFlag | None:
        row = self.session.execute(sa.select(flags).where(
            flags.c.case_id == case_id, flags.c.kind == kind, flags.c.step == step)).mappings().first()
        return _flag(row) if row is not None else None

    def for_locality(self, locality: str, *, kind: str | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[ViolationFlag], int]:
        """One page of a locality's flags, newest first, and how many there are in all."""
        return self.page(frozenset({locality}), kind=kind, limit=limit, offset=offset)

    def page(self, localities: Iterable[str] | None, *, kind: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[ViolationFlag], int]:
        """One page of the flags of ``localities`` (None: every locality), newest first, and
        how many there are in all."""
        where: list[sa.ColumnElement[bool]] = []
        if localities is not None:
            where.append(flags.c.locality_code.in_(sorted(localities)))
        if kind:
            where.append(flags.c.kind == kind)
        total = self.session.execute(sa.select(sa.func.count()).select_from(flags).where(*where)).scalar_one()
        rows = self.session.execute(sa.select(flags).where(*where)
                                    .order_by(flags.c.raised_at.desc(), flags.c.id)
                                    .limit(limit).offset(offset)).mappings().all()
        return [_flag(r) for r in rows], total

    # -- the transfers of a case ------------------------------------------------------------
    def keep_transfer(self, transfer: Transfer) -> None:
        """Keep a case's transfer once per case version: the same transfer told again (under
        its own event id or another) is the one already kept."""
        key = (transfers.c.case_id == transfer.case_id) & (transfers.c.version == transfer.version)
        if self.session.execute(sa.select(transfers.c.version).where(key)).first() is None:
            self.session.execute(sa.insert(transfers).values(**asdict(transfer)))

    def transfers(self, case_id: str) -> list[Transfer]:
        """Every kept transfer of a case, in the case's order."""
        rows = self.session.execute(sa.select(transfers).where(transfers.c.case_id == case_id)
                                    .order_by(transfers.c.version)).mappings().all()
        return [Transfer(**{**r, "at": utc(r["at"])}) for r in rows]

    # -- the cases flags are about ----------------------------------------------------------
    def case(self, case_id: str) -> CaseOnRecord | None:
        row = self.session.execute(sa.select(cases).where(cases.c.case_id == case_id)).mappings().first()
        return CaseOnRecord(**row) if row is not None else None

    def keep_case(self, case: CaseOnRecord) -> None:
        values = asdict(case)
        # An UPDATE answers with a cursor result, the kind that knows how many rows it changed.
        updated = cast(CursorResult, self.session.execute(
            sa.update(cases).where(cases.c.case_id == case.case_id).values(**values)))
        if not updated.rowcount:
            self.session.execute(sa.insert(cases).values(**values))
