"""The outbox relay: publishes committed outbox rows in order and marks them sent.

A crash after publishing but before marking sends those rows again on restart; consumers'
inboxes make that harmless (at-least-once + idempotent apply). Rows are read in id order
and published in that order, so events of one request keep their order on its partition.

One relay per service publishes at a time: it holds the **lease** (a row in ``relay_lease``,
renewed before each batch, valid ``lease_seconds``). Another relay of the same service — a second
worker process, or one started while the first hangs — finds the lease held and publishes
nothing until it expires. No row lock is held while the broker acknowledges, so nothing else
waits on the relay; and since a batch (read, publish, flush of at most ``flush_timeout``, mark)
ends well inside the lease, two relays never publish the same row.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from giaitrinh_common.bus import Publisher
from giaitrinh_common.metrics import ServiceMetrics
from giaitrinh_common.storage import Storage, utcnow

log = logging.getLogger(__name__)


LEASE = "outbox-relay"


def _is_dead_here(holder: str) -> bool:
    """Whether ``holder`` names a process of this machine that no longer runs."""
    host, _, rest = holder.partition("|")
    pid = rest.partition("|")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class OutboxRelay:
    def __init__(self, storage: Storage, publisher: Publisher, metrics: ServiceMetrics, *,
                 batch_size: int = 200, lease_seconds: float = 30.0, flush_timeout: float = 10.0,
                 clock: Callable[[], float] = time.time,
                 after_publish: Callable[[list], None] | None = None):
        if flush_timeout * 2 > lease_seconds:
            raise ValueError("the lease must outlast a batch: lease_seconds >= 2 * flush_timeout")
        self.storage, self.publisher, self.metrics = storage, publisher, metrics
        self.batch_size = batch_size
        self.lease_seconds, self.flush_timeout, self.clock = lease_seconds, flush_timeout, clock
        self.holder = f"{socket.gethostname()}|{os.getpid()}|{uuid.uuid4().hex[:8]}"
        # A seam for fault tests: called after the broker acknowledged, before rows are marked.
        self._after_publish = after_publish

    def acquire_lease(self) -> bool:
        """Take or renew the lease; False while another relay holds it."""
        lease = self.storage.relay_lease
        now = self.clock()
        with self.storage.engine.begin() as conn:
            taken = conn.execute(sa.update(lease).where(
                lease.c.name == LEASE, sa.or_(lease.c.holder == self.holder, lease.c.expires_at < now)
            ).values(holder=self.holder, expires_at=now + self.lease_seconds)).rowcount
            if taken:
                return True
            held = conn.execute(sa.select(lease.c.holder).where(lease.c.name == LEASE)).first()
            if held is not None:
                # A relay of this machine that died (a killed worker) need not be waited for.
                return _is_dead_here(held.holder) and conn.execute(sa.update(lease).where(
                    lease.c.name == LEASE, lease.c.holder == held.holder
                ).values(holder=self.holder, expires_at=now + self.lease_seconds)).rowcount == 1
        try:  # the very first relay of this database
            with self.storage.engine.begin() as conn:
                conn.execute(sa.insert(lease).values(name=LEASE, holder=self.holder,
                                                     expires_at=now + self.lease_seconds))
            return True
        except sa.exc.IntegrityError:
            return False

    def release_lease(self) -> None:
        """Give the lease up (on a clean stop), so another relay need not wait for it to expire."""
        lease = self.storage.relay_lease
        with self.storage.engine.begin() as conn:
            conn.execute(sa.delete(lease).where(lease.c.name == LEASE, lease.c.holder == self.holder))

    def relay_once(self) -> int:
        """Publish up to one batch if this relay holds the lease; return how many rows were
        published. Raises :class:`~giaitrinh_common.bus.BusUnavailable` (rows stay unsent) when
        the bus is down."""
        if not self.acquire_lease():
            return 0
        started = self.clock()
        outbox = self.storage.outbox
        with self.storage.engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.type,
                          outbox.c.payload, outbox.c.event_id)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
            ).all()
        if not rows:
            return 0
        for row in rows:
            self.publisher.publish(row.topic, row.key, row.payload.encode(),
                                   {"ce_type": row.type, "ce_id": row.event_id})
        self.publisher.flush(timeout=self.flush_timeout)
        if self._after_publish is not None:
            self._after_publish(list(rows))
        with self.storage.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                         .values(published_at=utcnow()))
        if self.clock() - started > self.lease_seconds:
            log.error("outbox batch took %.0fs, longer than the %.0fs lease: another relay may "
                      "have published some of its rows too", self.clock() - started, self.lease_seconds)
        for row in rows:
            self.metrics.produced(row.topic, row.type)
        return len(rows)

    def relay_all(self) -> int:
        total = 0
        while (n := self.relay_once()):
            total += n
        return total

    def purge_published(self, older_than) -> int:
        """Delete rows published before ``older_than`` (the topic keeps them)."""
        outbox = self.storage.outbox
        with self.storage.engine.begin() as conn:
            return conn.execute(sa.delete(outbox).where(outbox.c.published_at < older_than)).rowcount
