"""The worker process every service runs: its idempotent consumer, its outbox relay, and any
periodic jobs (routing's deadline watcher), each in a loop that outlives broker outages.

When the bus is down the loops back off and try again; nothing is lost meanwhile: the outbox
keeps what is waiting to be published, and uncommitted offsets are read again.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from giaitrinh_common import topics
from giaitrinh_common.bus import BusUnavailable, MessageBus
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.metrics import ServiceMetrics
from giaitrinh_common.relay import OutboxRelay
from giaitrinh_common.storage import Storage, StorageUnavailable, utcnow

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    run: Callable[[], object]


class Worker:
    def __init__(self, *, service: str, bus: MessageBus, storage: Storage,
                 metrics: ServiceMetrics, consumer: Callable[[], IdempotentConsumer] | None,
                 topics_to_ensure: list[str], partitions: int, replication_factor: int = 1,
                 jobs: tuple[PeriodicJob, ...] = (), relay_idle_seconds: float = 0.2,
                 max_backoff: float = 10.0, outbox_retention: timedelta = timedelta(days=7)):
        self.service, self.bus, self.storage, self.metrics = service, bus, storage, metrics
        self._consumer_factory = consumer
        self.topics_to_ensure, self.partitions = topics_to_ensure, partitions
        self.replication_factor = replication_factor
        self.relay = OutboxRelay(storage, bus.publisher(), metrics)
        # Published rows are kept a while for inspection, then dropped: the topic has them.
        purge = PeriodicJob("outbox-purge", 3600,
                            lambda: self.relay.purge_published(utcnow() - outbox_retention))
        self.jobs = (*jobs, purge)
        self.relay_idle_seconds = relay_idle_seconds
        self.max_backoff = max_backoff
        self.stop_event = threading.Event()
        self._topics_ready = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- loops -------------------------------------------------------------------------------
    def _loop(self, name: str, step: Callable[[], float]) -> None:
        """Run ``step`` until stopped; ``step`` returns how long to wait before the next call."""
        backoff = 0.5
        while not self.stop_event.is_set():
            try:
                wait = step()
                backoff = 0.5
            except (BusUnavailable, StorageUnavailable) as exc:
                log.warning("%s/%s: %s (%s); retrying in %.1fs", self.service, name,
                            type(exc).__name__, exc, backoff)
                wait, backoff = backoff, min(backoff * 2, self.max_backoff)
            except Exception:
                log.exception("%s/%s: unexpected failure; retrying in %.1fs", self.service, name, backoff)
                wait, backoff = backoff, min(backoff * 2, self.max_backoff)
            if wait:
                self.stop_event.wait(wait)

    def _ensure_topics(self) -> None:
        if not self._topics_ready.is_set():
            self.bus.ensure_topics(self.topics_to_ensure, self.partitions,
                                   topics.configs_of(self.topics_to_ensure, self.replication_factor),
                                   replication_factor=self.replication_factor)
            self._topics_ready.set()

    def _relay_step(self) -> float:
        # Measured before anything that needs the broker: the backlog matters most when the
        # broker is down and everything after this line fails.
        self.metrics.outbox_backlog(self.storage.outbox_backlog())
        self._ensure_topics()
        published = self.relay.relay_once()
        return 0 if published else self.relay_idle_seconds

    def _consume(self) -> None:
        consumer: IdempotentConsumer | None = None
        last_lag = 0.0

        def step() -> float:
            nonlocal consumer, last_lag
            self._ensure_topics()
            if consumer is None:
                assert self._consumer_factory is not None
                consumer = self._consumer_factory()
            try:
                consumer.run_once(timeout=0.5)
            finally:  # a consumer that keeps failing still reports what waits
                if time.monotonic() - last_lag > 5:
                    consumer.report_lag()
                    last_lag = time.monotonic()
            return 0

        try:
            self._loop("consumer", step)
        finally:
            if consumer is not None:
                consumer.close()

    def _job(self, job: PeriodicJob) -> None:
        def step() -> float:
            job.run()
            return job.every_seconds
        self._loop(job.name, step)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        targets: list[tuple[str, Callable[[], None]]] = [
            ("relay", lambda: self._loop("relay", self._relay_step))]
        if self._consumer_factory is not None:
            targets.append(("consumer", self._consume))
        targets += [(job.name, functools.partial(self._job, job)) for job in self.jobs]
        for name, target in targets:
            thread = threading.Thread(target=target, name=f"{self.service}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("%s worker started: %s", self.service, ", ".join(n for n, _ in targets))

    def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        with contextlib.suppress(Exception):
            self.relay.release_lease()
        self.relay.publisher.close()

    def run_forever(self) -> None:
        """Start, then block until :meth:`stop` (signal handlers call it)."""
        self.start()
        while not self.stop_event.wait(0.5):
            pass
        self.stop()
