"""The outbox relay: publishes committed outbox rows in order and marks them sent.

A crash after publishing but before marking sends those rows again on restart; consumers'
inboxes make that harmless (at-least-once + idempotent apply). Rows are read in id order
and published in that order, so events of one request keep their order on its partition.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from giaitrinh_common.bus import Publisher
from giaitrinh_common.metrics import ServiceMetrics
from giaitrinh_common.storage import Storage, utcnow

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, storage: Storage, publisher: Publisher, metrics: ServiceMetrics, *,
                 batch_size: int = 200,
                 after_publish: Callable[[list], None] | None = None):
        self.storage, self.publisher, self.metrics = storage, publisher, metrics
        self.batch_size = batch_size
        # A seam for fault tests: called after the broker acknowledged, before rows are marked.
        self._after_publish = after_publish

    def relay_once(self) -> int:
        """Publish up to one batch; return how many rows were published. Raises
        :class:`~giaitrinh_common.bus.BusUnavailable` (rows stay unsent) when the bus is down."""
        outbox = self.storage.outbox
        with self.storage.engine.begin() as conn:
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.type,
                          outbox.c.payload, outbox.c.event_id)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update()  # a second relay waits instead of interleaving the order
            ).all()
            if not rows:
                return 0
            for row in rows:
                self.publisher.publish(row.topic, row.key, row.payload.encode(),
                                       {"ce_type": row.type, "ce_id": row.event_id})
            self.publisher.flush()
            if self._after_publish is not None:
                self._after_publish(rows)
            conn.execute(sa.update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                         .values(published_at=utcnow()))
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
