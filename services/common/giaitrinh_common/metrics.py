"""Prometheus metrics shared by every process. One :class:`PlatformMetrics` per process owns
the metric families on its registry; each service binds its name with :meth:`for_service`
(the standalone trial runs four services on one registry)."""
from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class PlatformMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.produced = Counter("giaitrinh_events_produced", "Events published to Kafka",
                                ["service", "topic", "type"], registry=r)
        self.consumed = Counter("giaitrinh_events_consumed", "Events consumed, by outcome",
                                ["service", "group", "topic", "type", "outcome"], registry=r)
        self.dead_lettered = Counter("giaitrinh_events_dead_lettered",
                                     "Events sent to a dead-letter topic, by reason",
                                     ["service", "group", "topic", "reason"], registry=r)
        self.outbox_backlog = Gauge("giaitrinh_outbox_backlog", "Outbox rows not yet published",
                                    ["service"], registry=r, multiprocess_mode="max")
        self.consumer_lag = Gauge("giaitrinh_consumer_lag", "Records behind the partition end",
                                  ["service", "group", "topic", "partition"], registry=r,
                                  multiprocess_mode="max")
        self.waiting_events = Gauge("giaitrinh_consumer_waiting_events",
                                    "Events in a consumer group's waiting room, by state "
                                    "(waiting: to be tried or behind another; parked: failed "
                                    "for good, holding up its request)",
                                    ["service", "group", "state"], registry=r,
                                    multiprocess_mode="max")
        self.parked_keys = Gauge("giaitrinh_consumer_parked_requests",
                                 "Requests whose events wait behind a parked event",
                                 ["service", "group"], registry=r, multiprocess_mode="max")
        self.oldest_waiting = Gauge("giaitrinh_consumer_oldest_waiting_seconds",
                                    "Age of the oldest event in the waiting room (0 when empty)",
                                    ["service", "group"], registry=r, multiprocess_mode="max")
        self.handler_seconds = Histogram("giaitrinh_handler_seconds", "Event handler latency",
                                         ["service", "type"], registry=r)
        self.http_requests = Counter("giaitrinh_http_requests", "HTTP requests",
                                     ["service", "method", "route", "status"], registry=r)
        self.http_seconds = Histogram("giaitrinh_http_request_seconds", "HTTP request latency",
                                      ["service", "method", "route"], buckets=HTTP_BUCKETS,
                                      registry=r)

    def for_service(self, service: str) -> ServiceMetrics:
        return ServiceMetrics(self, service)

    def render(self) -> bytes:
        """The exposition text; in gunicorn multi-worker mode, merged over all workers."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


class ServiceMetrics:
    """The platform metrics with the ``service`` label already set."""

    def __init__(self, platform: PlatformMetrics, service: str):
        self.platform, self.service = platform, service
        self._lag_labels: set[tuple[str, str, str, str]] = set()

    def produced(self, topic: str, type_: str) -> None:
        self.platform.produced.labels(self.service, topic, type_).inc()

    def consumed(self, group: str, topic: str, type_: str, outcome: str) -> None:
        self.platform.consumed.labels(self.service, group, topic, type_, outcome).inc()

    def dead_lettered(self, group: str, topic: str, reason: str) -> None:
        self.platform.dead_lettered.labels(self.service, group, topic, reason).inc()

    def outbox_backlog(self, rows: int) -> None:
        self.platform.outbox_backlog.labels(self.service).set(rows)

    def consumer_lag(self, group: str, lag: dict[tuple[str, int], int]) -> None:
        """Set the lag of the partitions this member reads, and drop those it no longer reads
        (after a rebalance their new owner reports them)."""
        now = {(self.service, group, topic, str(partition)) for topic, partition in lag}
        for gone in self._lag_labels - now:
            self.platform.consumer_lag.remove(*gone)
        for (topic, partition), behind in lag.items():
            self.platform.consumer_lag.labels(self.service, group, topic, str(partition)).set(behind)
        self._lag_labels = now

    def waiting_room(self, group: str, summary, now: float) -> None:
        """Gauges of a group's waiting room (a :class:`~giaitrinh_common.waiting_room.WaitingSummary`)."""
        self.platform.waiting_events.labels(self.service, group, "waiting").set(summary.waiting)
        self.platform.waiting_events.labels(self.service, group, "parked").set(summary.parked)
        self.platform.parked_keys.labels(self.service, group).set(summary.parked_keys)
        oldest = 0.0 if summary.oldest_created_at is None else max(0.0, now - summary.oldest_created_at)
        self.platform.oldest_waiting.labels(self.service, group).set(oldest)

    def handler_timer(self, type_: str):
        return self.platform.handler_seconds.labels(self.service, type_).time()

    def http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.platform.http_requests.labels(self.service, method, route, str(status)).inc()
        self.platform.http_seconds.labels(self.service, method, route).observe(seconds)
