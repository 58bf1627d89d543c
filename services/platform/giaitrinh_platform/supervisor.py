"""``giaitrinh up``: the whole platform on one machine, as separate processes.

Order: Kafka broker (real, KRaft, from Maven's jars) → topics → each service's migrations
(a release step) → the locality seed → per service a gunicorn web process and a worker
process → wait until every web process answers ``/readyz`` → the gateway (nginx, one address
in front of the web processes; :mod:`giaitrinh_platform.gateway`). Then :class:`Supervisor`
watches every child, the broker and the gateway included: it reaps one that exits, logs its exit code and log file,
and starts it again after an exponential back-off (:class:`RestartPolicy`); a child that keeps
dying is given up on, and the platform stops rather than run without it. Ctrl-C or
``giaitrinh down`` (SIGTERM to the supervisor) stops the children, then the broker. A second
``up`` reuses the data directory: the broker's log, the SQLite files, the committed offsets.
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
from typing import Protocol

from giaitrinh_common import migrations, topics
from giaitrinh_common.settings import replication_factor_in
from giaitrinh_platform.gateway import GatewaySettings, LocalGateway
from giaitrinh_platform.kafka_broker import LocalKafkaBroker
from giaitrinh_platform.services import SERVICES

log = logging.getLogger(__name__)


class TopicsMissing(RuntimeError):
    """The cluster did not create some of the platform's topics."""


def create_topics(kafka_bootstrap: str, partitions: int, replication_factor: int,
                  names: list[str] | None = None) -> list[str]:
    """Make every topic of the platform (or ``names``) exist on the cluster at
    ``kafka_bootstrap`` with ``partitions`` and ``replication_factor`` copies, and bring the
    settings of all of them, ``min.insync.replicas`` included, to what the platform needs.
    Raises :class:`TopicsMissing` when the cluster did not create some (say, a replication
    factor above its number of brokers): the platform never starts on half its topics."""
    from giaitrinh_common.bus import BusUnavailable
    from giaitrinh_common.kafka_bus import KafkaBus

    names = list(names or topics.all_topics())
    bus = KafkaBus(kafka_bootstrap, client_id="giaitrinh-platform", connect_timeout=30)
    failure: BusUnavailable | None = None
    try:
        try:
            bus.ensure_topics(names, partitions, topics.configs_of(names, replication_factor),
                              replication_factor=replication_factor)
        except BusUnavailable as exc:
            # A topic the cluster refused ends here too (its metadata never came); asking which
            # topics exist tells that apart from a cluster that is really down.
            failure = exc
        missing = sorted(set(names) - set(bus.list_topics()))
    finally:
        bus.close()
    if missing:
        raise TopicsMissing(f"{len(missing)} of {len(names)} topics were not created on {kafka_bootstrap} "
                            f"with replication factor {replication_factor} (GIAITRINH_REPLICATION_FACTOR; "
                            f"no more than the cluster's brokers): {', '.join(missing)}") from failure
    if failure is not None:
        raise failure
    return names


# A Unix socket's path must fit in sockaddr_un.sun_path (108 bytes on Linux, NUL included).
_UNIX_SOCKET_PATH_MAX = 107


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RestartPolicy:
    """When to start a child again after it exits.

    The first restart waits ``first_delay`` seconds; each restart that follows a short run
    waits twice as long as the one before, up to ``max_delay``. A child that ran for
    ``quiet_period`` seconds before exiting counts as healthy again: its next wait is
    ``first_delay``. A child that already needed ``max_restarts`` restarts within the last
    ``window`` seconds is not restarted (:meth:`after_exit` answers None): it is broken, not
    unlucky. Time comes from ``clock`` (monotonic seconds), so tests drive it without sleeping.
    """

    def __init__(self, *, first_delay: float = 1.0, max_delay: float = 30.0,
                 max_restarts: int = 5, window: float = 300.0, quiet_period: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        if first_delay <= 0 or max_delay < first_delay or max_restarts < 1 or window <= 0:
            raise ValueError("need 0 < first_delay <= max_delay, max_restarts >= 1, window > 0")
        self.first_delay, self.max_delay = first_delay, max_delay
        self.max_restarts, self.window, self.quiet_period = max_restarts, window, quiet_period
        self.clock = clock
        self._started_at: float | None = None
        self._streak = 0  # restarts since the child last ran for a quiet period
        self._restarts: list[float] = []  # when each restart was granted

    def started(self) -> None:
        """The child has just been started (the first time or again)."""
        self._started_at = self.clock()

    def after_exit(self) -> float | None:
        """The child has just exited: seconds to wait before starting it again, or None to
        give up on it."""
        now = self.clock()
        self._restarts = [t for t in self._restarts if now - t < self.window]
        if len(self._restarts) >= self.max_restarts:
            return None
        if self._started_at is not None and now - self._started_at >= self.quiet_period:
            self._streak = 0
        delay = min(self.max_delay, self.first_delay * 2 ** self._streak)
        self._streak += 1
        self._restarts.append(now)
        return delay

    def describe(self) -> str:
        return (f"back-off {self.first_delay:g}s doubling to {self.max_delay:g}s, at most "
                f"{self.max_restarts} restarts within {self.window:g}s")


class Supervised(Protocol):
    """A child process the supervisor can start again."""

    name: str

    @property
    def log_path(self) -> Path: ...

    def start(self) -> None: ...

    def exit_code(self) -> int | None:
        """None while running (or never started); the exit code once it ended. Asking reaps
        an ended process, so it does not linger as a zombie."""


class GaveUp(RuntimeError):
    """A child kept exiting: restarted too often within the restart policy's window."""

    def __init__(self, child: Supervised, code: int | None, policy: RestartPolicy):
        super().__init__(f"{child.name} keeps exiting (last: {describe_exit(code)}; "
                         f"{policy.describe()}); see {child.log_path}")
        self.child = child


def describe_exit(code: int | None) -> str:
    """``code 3``, or ``code -9 (SIGKILL)`` for a process killed by a signal."""
    if code is None:
        return "failed to start"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


@dataclass
class _Watched:
    child: Supervised
    policy: RestartPolicy
    restart_at: float | None = None  # set while the child is dead and waiting out its back-off


class Supervisor:
    """Keeps children running: :meth:`check`, called every half second or so, reaps each
    child that exited, logs it (name, exit code, log file) and starts it again once its
    :class:`RestartPolicy` back-off has passed. Raises :class:`GaveUp` for a child its policy
    gives up on; the caller decides what that means (``giaitrinh up`` stops the platform).
    Each child gets its own policy, ``restart_policy(clock=clock)`` (e.g. a
    ``functools.partial`` of :class:`RestartPolicy` with other limits)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 restart_policy: Callable[..., RestartPolicy] = RestartPolicy):
        self.clock = clock
        self.restart_policy = restart_policy
        self._watched: list[_Watched] = []

    def watch(self, child: Supervised) -> None:
        """Supervise a child that has just been started."""
        policy = self.restart_policy(clock=self.clock)
        policy.started()
        self._watched.append(_Watched(child, policy))

    def start(self, child: Supervised) -> None:
        """Start a child and supervise it."""
        child.start()
        self.watch(child)

    def check(self) -> None:
        for watched in self._watched:
            if watched.restart_at is None:
                code = watched.child.exit_code()
                if code is not None:
                    self._schedule_restart(watched, code)
            elif self.clock() >= watched.restart_at:
                self._restart(watched)

    def _schedule_restart(self, watched: _Watched, code: int | None) -> None:
        child, policy = watched.child, watched.policy
        delay = policy.after_exit()
        if delay is None:
            log.error("%s exited (%s) and is not restarted again: %s reached; see %s",
                      child.name, describe_exit(code), policy.describe(), child.log_path)
            raise GaveUp(child, code, policy)
        watched.restart_at = self.clock() + delay
        log.warning("%s exited (%s); starting it again in %gs; see %s",
                    child.name, describe_exit(code), delay, child.log_path)

    def _restart(self, watched: _Watched) -> None:
        watched.restart_at = None
        try:
            watched.child.start()
        except Exception as exc:  # e.g. java gone, or the log directory unwritable
            log.error("%s could not be started: %s", watched.child.name, exc)
            self._schedule_restart(watched, None)
            return
        watched.policy.started()
        log.warning("%s started again", watched.child.name)


@dataclass
class BrokerProcess:
    """The local Kafka broker as a supervised child: the supervisor starts the same
    :class:`LocalKafkaBroker` again on the same data directory and ports."""

    broker: LocalKafkaBroker
    name: str = "kafka-broker"

    @property
    def log_path(self) -> Path:
        return self.broker.log_file

    def start(self) -> None:
        self.broker.start()

    def exit_code(self) -> int | None:
        return self.broker.exit_code()


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

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)


GROUP_GONE_SECONDS = 5.0  # how long a new gateway waits for the old one's workers to end


@dataclass
class GatewayProcess(ChildProcess):
    """nginx as a supervised child. Its workers share its process group; if the master was
    killed outright they live on holding the port, so a new start ends that group first, and
    waits until its processes have ended (SIGKILL is delivered, not awaited)."""

    def start(self) -> None:
        if self.process is not None:
            group = self.process.pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self.process.wait()
            _wait_until_group_ends(group, GROUP_GONE_SECONDS)
        super().start()


def _wait_until_group_ends(group: int, timeout: float) -> None:
    """Until no process of ``group`` is left (reaped), or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


@dataclass
class Platform:
    """The four services' processes against one Kafka bootstrap address, and the gateway.

    Ports not given here come from ``base_env``, the environment the services will see:
    ``<SVC>_WEB_PORT`` (read by :meth:`ServiceSpec.web_port_in`) and ``<SVC>_METRICS_PORT``
    (read by the service's own settings), else their defaults (8001..8004, 9101..9104); the
    gateway's settings (``GIAITRINH_GATEWAY_PORT``, 8000, and the others of
    :class:`GatewaySettings`) too."""

    data_dir: Path
    kafka_bootstrap: str
    base_env: Mapping[str, str]
    web_ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    province: str = "44"
    web_threads: int = 4
    children: list[ChildProcess] = field(default_factory=list)
    # The local SMTP sink's port when no NOTIFY_SMTP_HOST is given (NOTIFY_SINK_PORT, else a
    # free one): notify's mail goes there and is kept in <data dir>/mail.
    mail_sink_port: int = 0

    def __post_init__(self) -> None:
        if self.uses_mail_sink and not self.mail_sink_port:
            self.mail_sink_port = int(self.base_env.get("NOTIFY_SINK_PORT") or 0) or _free_port()
        self.web_ports = {name: spec.web_port_in(self.base_env) for name, spec in SERVICES.items()
                          } | self.web_ports
        self.metrics_ports = {name: spec.settings(self.base_env).metrics_port
                              for name, spec in SERVICES.items()} | self.metrics_ports
        self.gateway = LocalGateway(GatewaySettings.from_env(self.base_env), self.data_dir,
                                    {name: f"127.0.0.1:{port}" for name, port in self.web_ports.items()})

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of a service's processes: its own database URL (the caller's
        ``<SVC>_DATABASE_URL`` if given, else a SQLite file in the data dir) and the metrics
        port this platform gave its worker."""
        env = dict(self.base_env)
        prefix = SERVICES[service].env_prefix
        env.setdefault("GIAITRINH_DATA_DIR", str(self.data_dir))
        env["GIAITRINH_KAFKA_BOOTSTRAP"] = self.kafka_bootstrap
        env.setdefault(f"{prefix}_DATABASE_URL", f"sqlite:///{self.data_dir / service}.db")
        env[f"{prefix}_METRICS_PORT"] = str(self.metrics_ports[service])
        env.setdefault("INTAKE_PUBLIC_BASE_URL", self.gateway.url)  # citizens come in at the gateway
        if service == "notify":
            env.setdefault("NOTIFY_PORTAL_URL", self.gateway.url)  # the links in notices
            if self.uses_mail_sink:
                env.update(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(self.mail_sink_port),
                           NOTIFY_SMTP_SECURITY="none")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def database_url(self, service: str) -> str:
        return self.service_env(service)[f"{SERVICES[service].env_prefix}_DATABASE_URL"]

    # -- release steps -----------------------------------------------------------------------
    def create_topics(self, partitions: int = topics.DEFAULT_PARTITIONS) -> None:
        create_topics(self.kafka_bootstrap, partitions, replication_factor_in(self.base_env))

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
    def control_socket(self, service: str) -> Path | None:
        """Where a web process's gunicorn master listens for ``gunicornc -s <path>``: its own
        socket in the data dir. Gunicorn's default (``$XDG_RUNTIME_DIR/gunicorn.ctl`` or
        ``~/.gunicorn/gunicorn.ctl``) is one path for every master of the user, so each master
        that starts takes it from the one before and unlinks it when it stops. None (no
        control socket) when the data dir's path is too long for a Unix socket."""
        path = self.data_dir / "run" / f"{service}-web.ctl"
        return path if len(os.fsencode(path)) <= _UNIX_SOCKET_PATH_MAX else None

    def web_argv(self, service: str) -> list[str]:
        """The command of a service's web process: gunicorn on its port, its own control socket."""
        socket_path = self.control_socket(service)
        control = ["--control-socket", str(socket_path)] if socket_path else ["--no-control-socket"]
        return [sys.executable, "-m", "gunicorn", "-c", "python:giaitrinh_common.gunicorn_conf",
                "--bind", f"127.0.0.1:{self.web_ports[service]}", *control,
                "--workers", "1", "--threads", str(self.web_threads),
                "--graceful-timeout", "10", "--access-logfile", "-", SERVICES[service].wsgi_target]

    def web_process(self, service: str) -> ChildProcess:
        return ChildProcess(f"{service}-web", self.web_argv(service), self.service_env(service),
                            self.data_dir / "logs" / f"{service}-web.log")

    def worker_process(self, service: str) -> ChildProcess:
        argv = [sys.executable, "-m", "giaitrinh_platform.cli", service, "worker"]
        return ChildProcess(f"{service}-worker", argv, self.service_env(service),
                            self.data_dir / "logs" / f"{service}-worker.log")

    @property
    def uses_mail_sink(self) -> bool:
        """No SMTP server configured: notify's mail goes to the local sink."""
        return not self.base_env.get("NOTIFY_SMTP_HOST", "").strip()

    @property
    def mail_folder(self) -> Path:
        return self.data_dir / "mail"

    def mail_sink_process(self) -> ChildProcess:
        argv = [sys.executable, "-m", "giaitrinh_notify.entrypoints.smtp_sink", "--dir", str(self.mail_folder),
                "--port", str(self.mail_sink_port)]
        return ChildProcess("mail-sink", argv, dict(self.base_env), self.data_dir / "logs" / "mail-sink.log")

    def start_services(self) -> None:
        if self.uses_mail_sink:
            sink = self.mail_sink_process()
            sink.start()
            self.children.append(sink)
        for name in SERVICES:
            for child in (self.web_process(name), self.worker_process(name)):
                child.start()
                self.children.append(child)

    def start_gateway(self) -> None:
        """Render the gateway's configuration, have ``nginx -t`` check it (a refusal raises
        :class:`~giaitrinh_platform.gateway.GatewayError` with nginx's words), and start it."""
        self.gateway.write_config()
        self.gateway.check()
        child = GatewayProcess("gateway", self.gateway.argv(), dict(self.base_env), self.gateway.log_path)
        child.start()
        self.children.append(child)

    def gateway_ready(self) -> bool:
        """The gateway answers its own ``/gateway/healthz``."""
        try:
            with urllib.request.urlopen(self.gateway.url + "/gateway/healthz", timeout=5) as resp:
                return resp.status == 200
        except OSError:
            return False

    def wait_gateway(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.gateway_ready():
            [child] = [c for c in self.children if c.name == "gateway"]
            if not child.alive():
                raise RuntimeError(f"the gateway (nginx) exited during start: see {child.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not answer on {self.gateway.url} within {timeout:.0f}s")
            time.sleep(0.2)

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
