"""The delivery ledger on the unit of work's session (table ``deliveries``, revision
0004_deliveries). The caller commits; every change of state is one conditional UPDATE, so two
sender loops never take the same message (the second finds it no longer due)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_common.storage import Storage, make_engine
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


def sender_storage(url: str, metadata: sa.MetaData) -> Storage:
    """The sender loop's own connections, whose commits do not wait for the disk (SQLite
    ``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit off``). Its transactions
    are the taking of messages and their outcomes: a process killed after such a commit loses
    nothing; a machine that loses power may lose the last of them, and a message whose ``sent``
    was lost is sent again with its Message-ID — the window of docs/ARCHITECTURE.md §5, for a
    power cut. The consumer's transactions (an event's inbox row and its messages, which must
    outlive the offset commit) keep waiting for the disk."""
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"

    @sa.event.listens_for(engine, "connect")
    def _commits_without_flush(dbapi_conn, _record):  # pragma: no cover - every sender's connection
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=NORMAL" if sqlite else "SET synchronous_commit TO off")
        cur.close()
        if not sqlite:
            dbapi_conn.commit()  # a SET in a transaction that is rolled back would be undone

    return Storage(engine, metadata)


class SqlDeliveryLedger:
    """``on_recorded``: called once after the commit of a transaction that recorded a message
    to send (not before it: the sender loop would find nothing yet)."""

    def __init__(self, session: Session, on_recorded: Callable[[], None] | None = None):
        self.session = session
        self.on_recorded = on_recorded
        self._will_tell = False

    # -- recording ------------------------------------------------------------------------
    def record(self, delivery: Delivery, now: datetime) -> bool:
        """Write ``delivery`` as it is (``pending``, or already ``undeliverable`` with its
        reason); False if its key is recorded already (the same message: nothing to add)."""
        known = self.session.execute(sa.select(d.c.status).where(d.c.delivery_key == delivery.delivery_key))
        if known.first() is not None:
            return False
        self.session.execute(sa.insert(d), [{
            "delivery_key": delivery.delivery_key, "event_id": delivery.event_id,
            "event_type": delivery.event_type, "request_id": delivery.request_id,
            "locality_code": delivery.locality_code, "audience": delivery.audience,
            "person": delivery.person, "recipient": delivery.recipient[:300], "channel": delivery.channel,
            "template": delivery.template, "language": delivery.language, "statutory": delivery.statutory,
            "context": json.dumps(delivery.context, ensure_ascii=False, default=str),
            "status": delivery.status, "attempts": delivery.attempts, "reason": delivery.reason,
            "created_at": now, "updated_at": now,
            "next_attempt_at": now if delivery.status == PENDING else None}])
        if delivery.status == PENDING and self.on_recorded is not None and not self._will_tell:
            tell = self.on_recorded
            sa.event.listen(self.session, "after_commit", lambda _session: tell(), once=True)
            self._will_tell = True
        return True

    # -- the sender loop --------------------------------------------------------------------
    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Take up to ``limit`` messages due now — pending ones, and ``sending`` ones whose
        lease ran out (their worker died mid-send) — and mark them ``sending`` with one more try
        and a lease until ``now + lease``. One UPDATE takes them, and only while they are still
        due: a second loop that chose the same rows finds them leased and takes none of them."""
        due = d.c.status.in_((PENDING, SENDING)) & (d.c.next_attempt_at <= now)
        keys = self.session.execute(sa.select(d.c.delivery_key).where(due)
                                    .order_by(d.c.next_attempt_at, d.c.created_at).limit(limit)).scalars().all()
        if not keys:
            return []
        rows = self.session.execute(
            sa.update(d).where(d.c.delivery_key.in_(keys) & due)
            .values(status=SENDING, attempts=d.c.attempts + 1, updated_at=now, next_attempt_at=now + lease)
            .returning(*d.c)).mappings().all()
        order = {key: n for n, key in enumerate(keys)}
        return sorted((_delivery(r) for r in rows), key=lambda x: order[x.delivery_key])

    def give_back(self, taken: Iterable[Delivery], now: datetime) -> None:
        """Put messages this loop took and did not try back as due now, their try uncounted
        (while their lease runs, no other loop can have taken them)."""
        for delivery in taken:
            self.session.execute(sa.update(d).where(
                (d.c.delivery_key == delivery.delivery_key) & (d.c.status == SENDING)
                & (d.c.attempts == delivery.attempts)).values(
                status=PENDING, attempts=delivery.attempts - 1, next_attempt_at=now, updated_at=now))

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
