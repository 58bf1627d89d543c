"""The delivery ledger on the unit of work's session (table ``deliveries``, revision
0004_deliveries). The caller commits; every change of state is one conditional UPDATE, so two
sender loops never take the same message (the second finds it no longer due)."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_notify.adapters.orm import deliveries as d
from giaitrinh_notify.domain.deliveries import (
    PARKED,
    PENDING,
    SENDING,
    SENT,
    UNDELIVERABLE,
    Delivery,
)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _delivery(r) -> Delivery:
    return Delivery(
        delivery_key=r["delivery_key"], event_id=r["event_id"], event_type=r["event_type"],
        audience=r["audience"], recipient=r["recipient"], channel=r["channel"],
        template=r["template"], context=json.loads(r["context"]), status=r["status"],
        language=r["language"], statutory=bool(r["statutory"]), request_id=r["request_id"],
        locality_code=r["locality_code"], person=r["person"], attempts=r["attempts"],
        reason=r["reason"], provider_id=r["provider_id"], created_at=_aware(r["created_at"]),
        updated_at=_aware(r["updated_at"]), next_attempt_at=_aware(r["next_attempt_at"]),
        sent_at=_aware(r["sent_at"]))


class SqlDeliveryLedger:
    def __init__(self, session: Session):
        self.session = session

    # -- recording ------------------------------------------------------------------------
    def record(self, delivery: Delivery, now: datetime) -> bool:
        """Write ``delivery`` as it is (``pending``, or already ``undeliverable`` with its
        reason); False if its key is recorded already (the same message: nothing to add)."""
        if self.get(delivery.delivery_key) is not None:
            return False
        self.session.execute(sa.insert(d).values(
            delivery_key=delivery.delivery_key, event_id=delivery.event_id,
            event_type=delivery.event_type, request_id=delivery.request_id,
            locality_code=delivery.locality_code, audience=delivery.audience,
            person=delivery.person, recipient=delivery.recipient[:300], channel=delivery.channel,
            template=delivery.template, language=delivery.language, statutory=delivery.statutory,
            context=json.dumps(delivery.context, ensure_ascii=False, default=str),
            status=delivery.status, attempts=delivery.attempts, reason=delivery.reason,
            created_at=now, updated_at=now,
            next_attempt_at=now if delivery.status == PENDING else None))
        return True

    # -- the sender loop --------------------------------------------------------------------
    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Take up to ``limit`` messages due now — pending ones, and ``sending`` ones whose
        lease ran out (their worker died mid-send) — and mark them ``sending`` with one more try
        and a lease until ``now + lease``."""
        rows = self.session.execute(
            sa.select(d).where(d.c.status.in_((PENDING, SENDING)) & (d.c.next_attempt_at <= now))
            .order_by(d.c.next_attempt_at, d.c.created_at).limit(limit)).mappings().all()
        taken: list[Delivery] = []
        for r in rows:
            done = self.session.execute(
                sa.update(d).where((d.c.delivery_key == r["delivery_key"]) & (d.c.status == r["status"])
                                   & (d.c.attempts == r["attempts"]))
                .values(status=SENDING, attempts=r["attempts"] + 1, updated_at=now,
                        next_attempt_at=now + lease))
            if done.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(_delivery({**r, "status": SENDING, "attempts": r["attempts"] + 1}))
        return taken

    def _finish(self, key: str, **values) -> None:
        self.session.execute(sa.update(d).where(d.c.delivery_key == key).values(**values))

    def mark_sent(self, key: str, provider_id: str | None, now: datetime) -> None:
        self._finish(key, status=SENT, provider_id=(provider_id or None) and provider_id[:300],
                     reason=None, sent_at=now, updated_at=now, next_attempt_at=None)

    def retry_at(self, key: str, reason: str, when: datetime, now: datetime) -> None:
        self._finish(key, status=PENDING, reason=reason[:2000], next_attempt_at=when, updated_at=now)

    def park(self, key: str, reason: str, now: datetime) -> None:
        self._finish(key, status=PARKED, reason=reason[:2000], next_attempt_at=None, updated_at=now)

    def undeliverable(self, key: str, reason: str, now: datetime) -> None:
        self._finish(key, status=UNDELIVERABLE, reason=reason[:2000], next_attempt_at=None,
                     updated_at=now)

    # -- the operator ------------------------------------------------------------------------
    def get(self, key: str) -> Delivery | None:
        r = self.session.execute(sa.select(d).where(d.c.delivery_key == key)).mappings().first()
        return _delivery(r) if r is not None else None

    def listed(self, statuses: Iterable[str] | None = None, limit: int = 100) -> list[Delivery]:
        """Newest first; ``statuses`` None: every one."""
        query = sa.select(d).order_by(d.c.updated_at.desc(), d.c.delivery_key).limit(limit)
        if statuses is not None:
            query = query.where(d.c.status.in_(list(statuses)))
        return [_delivery(r) for r in self.session.execute(query).mappings()]

    def resend(self, key: str, now: datetime) -> bool:
        """Put a parked or undeliverable message back as due now, with its tries counted anew;
        False for any other (a sent message is not sent again by this command)."""
        done = self.session.execute(
            sa.update(d).where((d.c.delivery_key == key) & d.c.status.in_((PARKED, UNDELIVERABLE)))
            .values(status=PENDING, attempts=0, next_attempt_at=now, updated_at=now))
        return done.rowcount == 1  # type: ignore[attr-defined]

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(sa.select(d.c.status, sa.func.count()).group_by(d.c.status))
        return {status: n for status, n in rows}
