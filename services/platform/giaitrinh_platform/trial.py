"""The standalone trial: the four services in one process on an in-memory bus.

For a commune that wants to look, and for quick demos. Never the shared deployment: the bus
lives in memory, so events not yet consumed are gone when the process ends.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from giaitrinh_common import migrations, topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.metrics import PlatformMetrics
from giaitrinh_platform.localities import seed_province
from giaitrinh_platform.services import SERVICES


class Trial:
    def __init__(self, data_dir: Path, province: str = "44"):
        self.data_dir, self.province = data_dir, province
        self.bus = InMemoryBus()
        self.bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
        self.metrics = PlatformMetrics()
        env = {"GIAITRINH_DATA_DIR": str(data_dir)}
        self.runtimes = {name: spec.bootstrap(settings=spec.settings(env), bus=self.bus,
                                              metrics=self.metrics)
                         for name, spec in SERVICES.items()}
        self.workers = []

    def locality_count(self) -> int:
        from giaitrinh_routing.adapters.reference_data import wards_of

        return len(wards_of(self.province))

    def prepare(self, progress: Callable[[int], None] = lambda n: None) -> None:
        for name, runtime in self.runtimes.items():
            migrations.upgrade(SERVICES[name].package, runtime.settings.database_url)
        from giaitrinh_routing.adapters.credentials import generate_signing_keys

        routing = self.runtimes["routing"].settings
        generate_signing_keys(routing.auth_private_key, routing.auth_public_key)  # type: ignore[attr-defined]
        seed_province(self.runtimes["routing"], self.province, progress)

    def start_workers(self, timeout: float = 60) -> None:
        """Start every service's worker, then wait until intake has learnt the localities
        routing's registry serves (from ``locality.changed``), so the portal opens with them."""
        import time

        for runtime in self.runtimes.values():
            worker = runtime.worker()
            worker.start()
            self.workers.append(worker)
        with self.runtimes["routing"].unit_of_work() as uow:
            served = uow.localities.page(None, 0, 1, served=True)[1]  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        while len(self.runtimes["intake"].localities) < served:  # type: ignore[attr-defined]
            if time.monotonic() > deadline:
                raise RuntimeError(f"intake did not learn the registry's localities within {timeout:.0f}s")
            time.sleep(0.05)

    def wsgi_app(self):
        index = Flask(__name__)

        @index.get("/")
        def home():
            links = "".join(f'<li><a href="/{n}/healthz">{n}</a></li>' for n in SERVICES)
            return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Giải Trình — dùng thử'
                    f'</title></head><body><main><h1>Giải Trình — bản dùng thử</h1>'
                    f'<p>Bốn dịch vụ trong một tiến trình / four services in one process:</p>'
                    f'<ul>{links}</ul><p>Gửi yêu cầu: <code>POST /intake/api/v1/requests</code></p>'
                    f'</main></body></html>')

        mounts = {f"/{n}": SERVICES[n].create_app(rt) for n, rt in self.runtimes.items()}
        return DispatcherMiddleware(index, mounts)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for runtime in self.runtimes.values():
            runtime.close()
