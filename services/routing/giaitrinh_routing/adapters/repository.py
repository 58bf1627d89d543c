"""SQL repositories for cases and localities, on the unit of work's session."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import (
    audit_head,
    audit_log,
    case_steps,
    cases,
    commitments,
    deadline_alerts,
    localities,
    routing_rules,
    units,
)
from giaitrinh_routing.domain.audit import GENESIS, AuditEntry, StoredEntry, chain_hash
from giaitrinh_routing.domain.case import Case, CaseState, VersionConflict
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import DeadlineAlert
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.domain.registry import RoutingRule, Unit, UnitKind


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

    def save(self, case: Case, read_version: int, promises=(), first_watch=None) -> None:
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
                due_on=promise.due_on, status="open", made_at=case.events[-1].at,
                watch_from=first_watch(promise.due_on) if first_watch else None))
        self.seen.append(case)

    def get_many(self, case_ids: list[str]) -> list[Case]:
        rows = self.session.execute(sa.select(cases).where(cases.c.id.in_(case_ids))).mappings().all()
        return [self._case(r) for r in rows]

    def set_watches(self, watches: list[tuple[str, date | None]]) -> None:
        """Move the watcher's next look (not a change of the case: no version, no step)."""
        if watches:
            self.session.execute(
                sa.update(cases).where(cases.c.id == sa.bindparam("case_id"))
                .values(watch_from=sa.bindparam("watch")),
                [{"case_id": case_id, "watch": watch} for case_id, watch in watches])

    def due_for_watch(self, today, limit: int) -> list[str]:
        """Ids of the cases the watcher has something to say about today (by the index)."""
        return list(self.session.execute(
            sa.select(cases.c.id).where(cases.c.watch_from <= today)
            .order_by(cases.c.watch_from).limit(limit)).scalars())

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
                    merged_into=case.merged_into, version=case.version, watch_from=case.watch_from,
                    routed_by=case.routed_by or None, next_deadline=next_deadline(case),
                    channel=case.channel, received_on=case.received_on)

    @staticmethod
    def _case(row) -> Case:
        return Case(id=row["id"], request_id=row["request_id"], tracking_code=row["tracking_code"],
                    kind=row["kind"], field=row["field"], locality_code=row["locality_code"],
                    state=CaseState(row["state"]), registered_at=_aware(row["registered_at"]),
                    time_limits_id=row["time_limits_id"], accept_by=row["accept_by"],
                    answer_by=row["answer_by"], unit_code=row["unit_code"],
                    official_id=row["official_id"], extensions=row["extensions"],
                    suspended_on=row["suspended_on"], flagged=bool(row["flagged"]),
                    merged_into=row["merged_into"], version=row["version"],
                    watch_from=row["watch_from"], routed_by=row["routed_by"] or "",
                    channel=row["channel"], received_on=row["received_on"])


def next_deadline(case: Case) -> date | None:
    """The deadline of the case's current step, as the inbox sorts by it."""
    return {CaseState.RECEIVED: case.accept_by, CaseState.ACCEPTED: case.answer_by}.get(case.state)


def _aware(at: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class SqlDeadlineAlerts:
    """The alerts the watcher raised; the unique key makes a second raise fail its transaction."""

    def __init__(self, session: Session):
        self.session = session

    def raised(self, case_ids: list[str]) -> dict[str, set[tuple[str, str, date]]]:
        """The alerts already raised, per case."""
        out: dict[str, set[tuple[str, str, date]]] = {case_id: set() for case_id in case_ids}
        rows = self.session.execute(sa.select(deadline_alerts.c.case_id, deadline_alerts.c.step,
                                              deadline_alerts.c.kind, deadline_alerts.c.deadline)
                                    .where(deadline_alerts.c.case_id.in_(case_ids)))
        for r in rows:
            out[r.case_id].add((r.step, r.kind, r.deadline))
        return out

    def add(self, raised: list[tuple[str, DeadlineAlert]], now: datetime) -> None:
        """Record the alerts; :class:`AlertAlreadyRaised` if another worker just raised one of
        them (the transaction is then spoilt and must be rolled back)."""
        if not raised:
            return
        try:
            self.session.execute(sa.insert(deadline_alerts), [
                {"case_id": case_id, "step": a.step, "kind": a.kind.value, "deadline": a.deadline,
                 "raised_at": now} for case_id, a in raised])
            self.session.flush()
        except sa.exc.IntegrityError as exc:
            raise AlertAlreadyRaised("an alert was raised already by another worker") from exc


class AlertAlreadyRaised(RuntimeError):
    """Another worker raised this alert first."""


class SqlAuditTrail:
    """Appends entries to the hash chain in the caller's transaction. The head moves by
    compare-and-set: of two transactions appending at once, the second finds the head moved
    and fails (:class:`AuditHeadMoved`) rather than fork the chain; it is retried."""

    def __init__(self, session: Session):
        self.session = session

    def append(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        head = self.session.execute(sa.select(audit_head).where(audit_head.c.name == "audit")).first()
        seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
        start, rows = seq, []
        for entry in entries:
            seq += 1
            digest = chain_hash(prev, seq, entry)
            rows.append({"seq": seq, "at": entry.at, "actor_id": entry.actor_id,
                         "actor_role": entry.actor_role, "entity": entry.entity,
                         "entity_id": entry.entity_id, "action": entry.action,
                         "payload": json.dumps(entry.payload, sort_keys=True, ensure_ascii=False),
                         "prev_hash": prev, "hash": digest})
            prev = digest
        self.session.execute(sa.insert(audit_log), rows)
        if head is None:
            self.session.execute(sa.insert(audit_head).values(name="audit", seq=seq, hash=prev))
        else:
            moved = self.session.execute(sa.update(audit_head).where(
                audit_head.c.name == "audit", audit_head.c.seq == start).values(seq=seq, hash=prev))
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise AuditHeadMoved("another transaction appended to the audit log first")
        self.session.flush()


class AuditHeadMoved(RuntimeError):
    """Two transactions appended to the audit log at once; this one must be retried."""


def read_audit_log(session: Session) -> tuple[list[StoredEntry], tuple[int, str] | None]:
    rows = session.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
    head = session.execute(sa.select(audit_head.c.seq, audit_head.c.hash)
                           .where(audit_head.c.name == "audit")).first()
    stored = [StoredEntry(r.seq, AuditEntry(r.at, r.actor_id, r.actor_role, r.entity, r.entity_id,
                                            r.action, json.loads(r.payload)), r.prev_hash, r.hash)
              for r in rows]
    return stored, (head.seq, head.hash) if head is not None else None


class SqlCommitments:
    """Commitments, with the request and locality of their case."""

    def __init__(self, session: Session):
        self.session = session

    def _query(self):
        return (sa.select(commitments, cases.c.request_id, cases.c.locality_code)
                .join(cases, cases.c.id == commitments.c.case_id))

    @staticmethod
    def _commitment(r) -> Commitment:
        return Commitment(id=r.id, case_id=r.case_id, request_id=r.request_id,
                          locality_code=r.locality_code, content=r.content, unit_code=r.unit_code,
                          due_on=r.due_on, status=r.status,
                          completed_at=_aware(r.completed_at) if r.completed_at else None,
                          evidence=r.evidence, reminded=bool(r.reminded),
                          flagged_overdue=bool(r.flagged_overdue))

    def get(self, commitment_id: str) -> Commitment | None:
        row = self.session.execute(self._query().where(commitments.c.id == commitment_id)).first()
        return self._commitment(row) if row is not None else None

    def due_for_watch(self, today: date, limit: int) -> list[Commitment]:
        rows = self.session.execute(self._query().where(commitments.c.watch_from <= today)
                                    .order_by(commitments.c.watch_from).limit(limit))
        return [self._commitment(r) for r in rows]

    def save(self, c: Commitment, watch_from: date | None) -> None:
        self.session.execute(sa.update(commitments).where(commitments.c.id == c.id).values(
            status=c.status, completed_at=c.completed_at, evidence=c.evidence,
            reminded=c.reminded, flagged_overdue=c.flagged_overdue, watch_from=watch_from))


class SqlUnitRegistry:
    """Units and routing rules of the localities."""

    def __init__(self, session: Session):
        self.session = session

    def units_of(self, locality_code: str | None = None) -> list[Unit]:
        query = sa.select(units).order_by(units.c.locality_code, units.c.code)
        if locality_code is not None:
            query = query.where(units.c.locality_code == locality_code)
        return [Unit(r.locality_code, r.code, r.name, UnitKind(r.kind), r.active)
                for r in self.session.execute(query)]

    def put_unit(self, unit: Unit) -> str:
        """Add or change a unit; return ``added``, ``changed`` or ``unchanged``."""
        key = (units.c.locality_code == unit.locality_code) & (units.c.code == unit.code)
        row = self.session.execute(sa.select(units).where(key)).first()
        values = {"name": unit.name, "kind": unit.kind.value, "active": unit.active}
        if row is None:
            self.session.execute(sa.insert(units).values(locality_code=unit.locality_code,
                                                         code=unit.code, **values))
            return "added"
        if (row.name, row.kind, row.active) == (unit.name, unit.kind.value, unit.active):
            return "unchanged"
        self.session.execute(sa.update(units).where(key).values(**values))
        return "changed"

    def rules_of(self, locality_code: str) -> dict[str, RoutingRule]:
        rows = self.session.execute(sa.select(routing_rules)
                                    .where(routing_rules.c.locality_code == locality_code))
        return {r.field: RoutingRule(r.locality_code, r.field, r.unit_code, r.official_id) for r in rows}

    def put_rule(self, rule: RoutingRule) -> None:
        key = (routing_rules.c.locality_code == rule.locality_code) & (routing_rules.c.field == rule.field)
        if self.session.execute(sa.select(routing_rules.c.field).where(key)).first() is None:
            self.session.execute(sa.insert(routing_rules).values(
                locality_code=rule.locality_code, field=rule.field, unit_code=rule.unit_code,
                official_id=rule.official_id))
        else:
            self.session.execute(sa.update(routing_rules).where(key).values(
                unit_code=rule.unit_code, official_id=rule.official_id))


class SqlLocalityRegistry:
    def __init__(self, session: Session):
        self.session = session

    def known_codes(self) -> set[str]:
        return set(self.session.execute(sa.select(localities.c.code)).scalars())

    def add(self, locality: Locality) -> None:
        self.session.execute(sa.insert(localities).values(
            code=locality.code, name=locality.name, province_code=locality.province_code,
            division_type=locality.division_type, served=locality.served))

    def get(self, code: str) -> Locality | None:
        row = self.session.execute(sa.select(localities).where(localities.c.code == code)).mappings().first()
        return _locality(row) if row is not None else None

    def set_served(self, code: str, served: bool) -> None:
        self.session.execute(sa.update(localities).where(localities.c.code == code).values(served=served))

    def page(self, province_code: str | None, offset: int, limit: int,
             served: bool | None = None) -> tuple[list[Locality], int]:
        where = localities.c.province_code == province_code if province_code else sa.true()
        if served is not None:
            where = where & (localities.c.served == served)
        total = self.session.execute(sa.select(sa.func.count()).select_from(localities).where(where)).scalar_one()
        rows = self.session.execute(sa.select(localities).where(where).order_by(localities.c.code)
                                    .offset(offset).limit(limit)).mappings().all()
        return [_locality(r) for r in rows], total


def _locality(row) -> Locality:
    return Locality(row["code"], row["name"], row["province_code"], row["division_type"], bool(row["served"]))
