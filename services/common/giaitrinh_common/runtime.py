"""The composition root every service builds on: its settings, database, bus, metrics and
clock, put together once per process (or once per test) and handed to the web app factory,
the worker, and the CLI. Nothing here is created at import time."""
from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask

from giaitrinh_common import topics
from giaitrinh_common.auth import TokenVerifier
from giaitrinh_common.bus import MessageBus
from giaitrinh_common.consumer import Handler, IdempotentConsumer
from giaitrinh_common.metrics import PlatformMetrics
from giaitrinh_common.settings import ServiceSettings
from giaitrinh_common.storage import SqlUnitOfWork, Storage, make_engine
from giaitrinh_common.web import Readiness, install_platform_routes
from giaitrinh_common.worker import PeriodicJob, Worker

log = logging.getLogger(__name__)


class ServiceRuntime:
    """Subclasses set ``service``, ``metadata`` and ``unit_of_work_class`` and implement
    :meth:`handlers` (event type → handler) and, where they have them, :meth:`jobs`."""

    service: str = ""
    metadata: sa.MetaData
    unit_of_work_class: type[SqlUnitOfWork] = SqlUnitOfWork

    def __init__(self, settings: ServiceSettings, *, bus: MessageBus | None = None,
                 metrics: PlatformMetrics | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.storage = Storage(make_engine(settings.database_url), self.metadata)
        if bus is None:
            from giaitrinh_common.kafka_bus import KafkaBus  # only the real deployment needs kafka

            bus = KafkaBus(settings.kafka_bootstrap, client_id=f"giaitrinh-{self.service}")
        self.bus = bus
        self.platform_metrics = metrics or PlatformMetrics()
        self.metrics = self.platform_metrics.for_service(self.service)
        self.clock = clock

    def now(self) -> datetime:
        """The injected clock as an aware UTC datetime."""
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- what each service provides --------------------------------------------------------
    def handlers(self) -> Mapping[str, Handler]:
        return {}

    def jobs(self) -> tuple[PeriodicJob, ...]:
        return ()

    # -- built from those -------------------------------------------------------------------
    def unit_of_work(self) -> SqlUnitOfWork:
        return self.unit_of_work_class(self.storage)

    @property
    def streams(self) -> tuple[str, ...]:
        return topics.SUBSCRIPTIONS[self.service]

    def consumer(self) -> IdempotentConsumer:
        return IdempotentConsumer(
            group=self.service, streams=self.streams, handlers=self.handlers(),
            unit_of_work=self.unit_of_work, bus=self.bus, metrics=self.metrics,
            max_attempts=self.settings.max_attempts, retry_backoff=self.settings.retry_backoff,
            clock=self.clock)

    def worker(self) -> Worker:
        return Worker(service=self.service, bus=self.bus, storage=self.storage,
                      metrics=self.metrics, consumer=self.consumer if self.handlers() else None,
                      topics_to_ensure=topics.all_topics(), partitions=self.settings.partitions,
                      replication_factor=self.settings.replication_factor,
                      jobs=self.jobs())

    def readiness(self) -> Readiness:
        """What the web process needs to serve: its database. The broker is only reported:
        the web process never talks to it (events wait in the outbox for the worker)."""
        return Readiness(needs={"database": self.storage.ping},
                         reports={"broker": self.bus.is_available})

    def token_verifier(self) -> TokenVerifier:
        """Verifies sign-in tokens with the public key of the settings, on this runtime's clock
        (read at each call, so a test that moves the clock moves it here too)."""
        return TokenVerifier(self.settings.auth_public_key, clock=lambda: self.clock())

    def web_app(self, import_name: str, blueprints=()) -> Flask:
        """A Flask app with the platform routes and the service's blueprints."""
        app = Flask(import_name)
        app.config["JSON_AS_ASCII"] = False
        app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable
        app.extensions["giaitrinh_runtime"] = self
        install_platform_routes(app, service=self.service, metrics=self.platform_metrics,
                                readiness=self.readiness(), max_body_bytes=self.settings.max_body_bytes,
                                verifier=self.token_verifier(), cookie_secure=self.settings.cookie_secure)
        for bp in blueprints:
            app.register_blueprint(bp)
        return app

    def close(self) -> None:
        self.bus.close()
        self.storage.engine.dispose()


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)


def run_worker_process(runtime: ServiceRuntime) -> None:
    """Entry point of ``giaitrinh <svc> worker``: metrics server, signals, loops until stopped."""
    from prometheus_client import start_http_server

    configure_logging(runtime.settings.log_level)
    server, _thread = start_http_server(runtime.settings.metrics_port,
                                        registry=runtime.platform_metrics.registry)
    worker = runtime.worker()

    def _stop(signum, _frame):
        log.info("%s worker: signal %s, stopping", runtime.service, signum)
        worker.stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("%s worker: metrics on :%s", runtime.service, runtime.settings.metrics_port)
    try:
        worker.run_forever()
    finally:
        server.shutdown()
        runtime.close()
