"""``giaitrinh up``: the whole platform on one machine, as separate processes.

Order: Kafka broker (real, KRaft, from Maven's jars) → topics → each service's migrations
(a release step) → the locality seed → per service a gunicorn web process and a worker
process → wait until every web process answers ``/readyz``. Ctrl-C or ``giaitrinh down``
(SIGTERM to the supervisor) stops the children, then the broker. A second ``up`` reuses the
data directory: the broker's log, the SQLite files, the committed offsets.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from giaitrinh_common import migrations, topics
from giaitrinh_platform.services import SERVICES

log = logging.getLogger(__name__)


@dataclass
class ChildProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)


@dataclass
class Platform:
    """The four services' processes against one Kafka bootstrap address."""

    data_dir: Path
    kafka_bootstrap: str
    base_env: Mapping[str, str]
    web_ports: dict[str, int] = field(default_factory=lambda: {s: v.web_port for s, v in SERVICES.items()})
    metrics_ports: dict[str, int] = field(default_factory=lambda: {s: v.metrics_port for s, v in SERVICES.items()})
    province: str = "44"
    web_threads: int = 4
    children: list[ChildProcess] = field(default_factory=list)

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of a service's processes: its own database URL (the caller's
        ``<SVC>_DATABASE_URL`` if given, else a SQLite file in the data dir)."""
        env = dict(self.base_env)
        prefix = SERVICES[service].env_prefix
        env.setdefault("GIAITRINH_DATA_DIR", str(self.data_dir))
        env["GIAITRINH_KAFKA_BOOTSTRAP"] = self.kafka_bootstrap
        env.setdefault(f"{prefix}_DATABASE_URL", f"sqlite:///{self.data_dir / service}.db")
        env[f"{prefix}_METRICS_PORT"] = str(self.metrics_ports[service])
        env.setdefault("INTAKE_PUBLIC_BASE_URL", f"http://127.0.0.1:{self.web_ports['intake']}")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def database_url(self, service: str) -> str:
        return self.service_env(service)[f"{SERVICES[service].env_prefix}_DATABASE_URL"]

    # -- release steps -----------------------------------------------------------------------
    def create_topics(self, partitions: int = topics.DEFAULT_PARTITIONS) -> None:
        from giaitrinh_common.kafka_bus import KafkaBus

        bus = KafkaBus(self.kafka_bootstrap, client_id="giaitrinh-platform", connect_timeout=30)
        bus.ensure_topics(topics.all_topics(), partitions, topics.configs_of(topics.all_topics()))

    def migrate(self) -> None:
        for name, spec in SERVICES.items():
            migrations.upgrade(spec.package, self.database_url(name))

    def seed(self, progress: Callable[[int], None] = lambda n: None) -> tuple[int, int]:
        from giaitrinh_common.bus import InMemoryBus
        from giaitrinh_platform.localities import seed_province

        spec = SERVICES["routing"]
        runtime = spec.bootstrap(settings=spec.settings(self.service_env("routing")), bus=InMemoryBus())
        try:
            return seed_province(runtime, self.province, progress)
        finally:
            runtime.close()

    # -- processes ---------------------------------------------------------------------------
    def start_services(self) -> None:
        logs = self.data_dir / "logs"
        for name, spec in SERVICES.items():
            env = self.service_env(name)
            web = [sys.executable, "-m", "gunicorn", "-c", "python:giaitrinh_common.gunicorn_conf",
                   "--bind", f"127.0.0.1:{self.web_ports[name]}",
                   "--workers", "1", "--threads", str(self.web_threads), "--worker-class", "gthread",
                   "--graceful-timeout", "10", "--access-logfile", "-", spec.wsgi_target]
            worker = [sys.executable, "-m", "giaitrinh_platform.cli", name, "worker"]
            for child in (ChildProcess(f"{name}-web", web, env, logs / f"{name}-web.log"),
                          ChildProcess(f"{name}-worker", worker, env, logs / f"{name}-worker.log")):
                child.start()
                self.children.append(child)

    def web_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.web_ports[service]}"

    def readiness(self, service: str) -> tuple[int, dict]:
        """(HTTP status, body) of a service's ``/readyz``; (0, {}) when it does not answer."""
        try:
            with urllib.request.urlopen(self.web_url(service) + "/readyz", timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")
        except (OSError, ValueError):
            return 0, {}

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending:
            dead = [c.name for c in self.children if not c.alive()]
            if dead:
                raise RuntimeError(f"processes exited during start: {', '.join(dead)} "
                                   f"(see {self.data_dir / 'logs'})")
            pending = {s for s in pending if self.readiness(s)[0] != 200}
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
            if pending:
                time.sleep(0.3)

    def stop_services(self, timeout: float = 20) -> None:
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.signal(signal.SIGKILL)
                child.process.wait(5)
        self.children.clear()

    def exited(self) -> list[ChildProcess]:
        return [c for c in self.children if not c.alive()]
