"""A real single-node Apache Kafka broker (KRaft, combined broker + controller), run with ``java``.

There is no Docker and no Kafka package on our machines, but Kafka's broker is published as
ordinary jars: ``deploy/kafka/pom.xml`` lists them and :func:`ensure_kafka_jars` copies them
with Maven into ``.cache/kafka/lib``. :class:`LocalKafkaBroker` then formats a data directory
once and runs ``kafka.Kafka`` as a child process. The platform's ``up`` command and the test
suite both use it; they pick different ports and data directories so they never collide.

Typical use::

    lib = ensure_kafka_jars(project_root)
    with LocalKafkaBroker(lib_dir=lib, data_dir=d, port=free_port(),
                          controller_port=free_port()) as broker:
        ...  # broker.bootstrap_servers is ready for clients here
"""
from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
import weakref
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = [
    "KafkaBrokerError",
    "LocalKafkaBroker",
    "ensure_kafka_jars",
    "free_port",
]

POM_RELATIVE = Path("deploy/kafka/pom.xml")
LOG4J_RELATIVE = Path("deploy/kafka/log4j2.properties")
LIB_RELATIVE = Path(".cache/kafka/lib")
# Written into the lib dir after a successful copy; holds the sha256 of pom.xml it came from.
# deploy/scripts/bootstrap.sh writes the same stamp, so either one can fill the cache.
JARS_STAMP = ".pom.sha256"

_FORMATTED_MARKER = "meta.properties"  # written by StorageTool into every formatted log dir
_LOG_TAIL_LINES = 40


class KafkaBrokerError(RuntimeError):
    """The jars could not be fetched, or the broker could not be formatted, started or reached."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    The port is released before returning, so another process may grab it in between;
    that race is acceptable for tests and local runs.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_tool(name: str, purpose: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise KafkaBrokerError(
            f"`{name}` is not on PATH; it is needed {purpose}. Install OpenJDK 17 and Maven "
            "(Debian: apt-get install openjdk-17-jdk-headless maven) or run "
            "deploy/scripts/bootstrap.sh, which checks for both."
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jars_are_current(lib: Path, pom_digest: str) -> bool:
    stamp = lib / JARS_STAMP
    if not stamp.is_file() or not any(lib.glob("*.jar")):
        return False
    return stamp.read_text(encoding="utf-8").strip() == pom_digest


def ensure_kafka_jars(project_root: Path, lib_dir: Path | None = None) -> Path:
    """Make sure the broker's jars are in ``lib_dir`` and return that directory (absolute).

    ``lib_dir`` defaults to ``<project_root>/.cache/kafka/lib``. The jars are (re)copied with
    ``mvn dependency:copy-dependencies`` when the directory is missing or empty, or when its
    stamp file does not match the current ``deploy/kafka/pom.xml`` (a changed pom means other
    versions). Otherwise nothing runs, so calling this on every start is cheap.

    Raises :class:`KafkaBrokerError` if ``mvn`` or ``java`` is missing or Maven fails.
    """
    root = Path(project_root).resolve()
    pom = root / POM_RELATIVE
    if not pom.is_file():
        raise KafkaBrokerError(f"{pom} not found: is {root} the project root?")
    lib = (Path(lib_dir) if lib_dir is not None else root / LIB_RELATIVE).resolve()
    digest = _sha256(pom)
    if _jars_are_current(lib, digest):
        return lib

    _require_tool("java", "to run the Kafka broker")
    mvn = _require_tool("mvn", "to fetch the Kafka broker's jars")
    # Copy into a fresh sibling and swap it in: copying over an old lib would leave jars of the
    # previous versions next to the new ones, and `java -cp lib/*` would load both.
    lib.parent.mkdir(parents=True, exist_ok=True)
    staging = lib.with_name(lib.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(pom), "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        # Absolute on purpose: Maven resolves a relative outputDirectory against the pom's
        # directory (deploy/kafka/), not against the current directory.
        f"-DoutputDirectory={staging}",
    ]
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not any(staging.glob("*.jar")):
        output = (result.stdout + result.stderr).strip()[-4000:]
        raise KafkaBrokerError(
            f"Maven could not copy the Kafka jars (exit {result.returncode}): {' '.join(cmd)}\n"
            f"{output}"
        )
    (staging / JARS_STAMP).write_text(digest + "\n", encoding="utf-8")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    return lib


def _random_cluster_id() -> str:
    """A cluster id in the format of Kafka's ``Uuid.randomUuid()``.

    Generated here rather than with ``StorageTool random-uuid`` to save one JVM start
    (a second or two on two cores). Kafka's ids are 16 random bytes, URL-safe base64 without
    padding, and never start with '-' (it would read as a command-line flag).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cid.startswith("-"):
            return cid


def _find_log4j_config() -> Path | None:
    """The repository's deploy/kafka/log4j2.properties, found by walking up from this file
    (works for a checkout and for the editable install the project uses)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / LOG4J_RELATIVE
        if candidate.is_file():
            return candidate
    return None


# Used only when the repository's log4j2.properties cannot be found (e.g. a wheel install).
_FALLBACK_LOG4J = """\
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}] %-5p %m (%c{1.})%n
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = console
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apachekafka.name = org.apache.kafka
logger.apachekafka.level = INFO
"""

# Brokers still running when the interpreter exits normally (including after Ctrl-C in the
# parent): the JVM lives in its own process group, so nothing else would stop it.
_live_brokers: weakref.WeakSet[LocalKafkaBroker] = weakref.WeakSet()


@atexit.register
def _stop_live_brokers() -> None:
    for broker in list(_live_brokers):
        broker.stop(timeout=10)


class LocalKafkaBroker:
    """One KRaft node acting as both broker and controller, on 127.0.0.1.

    Contract:

    * ``data_dir`` holds everything: ``server.properties``, the Kafka data in
      ``kraft-logs/``, the rolling log4j logs in ``logs/`` and the JVM's console output in
      ``broker-console.log`` (unless :meth:`start` is given another file).
    * The data directory is formatted once; later starts (same object or a new one on the same
      directory) reuse its topics, messages and committed offsets. Keep the ports per data
      directory stable if you can; the quorum is static (from ``server.properties``), so a
      port change is tolerated.
    * :meth:`stop` then :meth:`start` on the same object is supported and is how tests simulate
      "the broker went down and came back".
    * Used as a context manager it starts, waits until ready, and stops on exit.
    """

    def __init__(
        self,
        *,
        lib_dir: Path,
        data_dir: Path,
        port: int,
        controller_port: int,
        heap: str = "1G",
        partitions: int = 6,
    ) -> None:
        if port == controller_port:
            raise ValueError("port and controller_port must differ")
        self.lib_dir = Path(lib_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.partitions = partitions
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._log_start = 0  # byte offset where the current run's output begins

    # -- paths and configuration ------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        """``"127.0.0.1:<port>"``, for Kafka clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def kafka_logs_dir(self) -> Path:
        """Kafka's data (``log.dirs``): topics' partitions and the KRaft metadata log."""
        return self.data_dir / "kraft-logs"

    @property
    def log_file(self) -> Path:
        """Where the JVM's stdout/stderr of the current (or default) run goes."""
        return self._log_path or self.data_dir / "broker-console.log"

    def _server_properties(self) -> str:
        small = min(self.partitions, 6)
        lines = [
            "# Written by giaitrinh_platform.kafka_broker on every start; edits are overwritten.",
            "process.roles=broker,controller",
            "node.id=1",
            # A static voter set (not controller.quorum.bootstrap.servers + format --standalone):
            # the voters then come from this file on each start instead of being recorded in the
            # metadata log, so the data directory does not pin the controller's port.
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={self.kafka_logs_dir}",
            f"num.partitions={self.partitions}",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            # Internal topics default to 50 partitions each; on one node with two cores that
            # makes the first consumer group (or transaction) wait while 50 logs are created.
            f"offsets.topic.num.partitions={small}",
            f"transaction.state.log.num.partitions={small}",
            f"share.coordinator.state.topic.num.partitions={small}",
        ]
        return "\n".join(lines) + "\n"

    def _log4j_config(self) -> Path:
        found = _find_log4j_config()
        if found is not None:
            return found
        fallback = self.data_dir / "log4j2.properties"
        fallback.write_text(_FALLBACK_LOG4J, encoding="utf-8")
        return fallback

    def _java_command(self, *jvm_flags: str) -> list[str]:
        """``java <flags> -cp <lib>/*`` with our logging set up; the caller appends the main class."""
        java = _require_tool("java", "to run the Kafka broker")
        if not any(self.lib_dir.glob("*.jar")):
            raise KafkaBrokerError(
                f"no jars in {self.lib_dir}; call ensure_kafka_jars() (or run "
                "deploy/scripts/bootstrap.sh) first"
            )
        return [
            java,
            *jvm_flags,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self._log4j_config()}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            # Java expands a trailing '*' in a classpath entry to every jar in the directory.
            "-cp", str(self.lib_dir / "*"),
        ]

    # -- lifecycle ---------------------------------------------------------------------------

    def is_formatted(self) -> bool:
        return (self.kafka_logs_dir / _FORMATTED_MARKER).is_file()

    def ensure_formatted(self) -> None:
        """Write ``server.properties`` (always, from this object's settings) and format the
        storage with ``kafka.tools.StorageTool`` unless the data directory already is formatted.

        Raises :class:`KafkaBrokerError` with StorageTool's output if formatting fails.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text(self._server_properties(), encoding="utf-8")
        if self.is_formatted():
            return
        cmd = self._java_command() + [
            "kafka.tools.StorageTool", "format",
            "-t", _random_cluster_id(),
            "-c", str(self.properties_file),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0 or not self.is_formatted():
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise KafkaBrokerError(
                f"formatting {self.kafka_logs_dir} failed (exit {result.returncode}):\n{output}"
            )

    def start(self, log_file: Path | None = None) -> None:
        """Format if needed and spawn the broker JVM; returns without waiting (see
        :meth:`wait_ready`).

        The JVM runs in its own process group (so a Ctrl-C meant for the parent does not kill
        it mid-write; :meth:`stop` ends it) with stdout and stderr appended to ``log_file``
        (default ``<data_dir>/broker-console.log``). Raises :class:`KafkaBrokerError` if this
        object's broker is already running.
        """
        if self.is_running():
            raise KafkaBrokerError(f"broker on {self.bootstrap_servers} is already running")
        self.ensure_formatted()
        self._log_path = Path(log_file).resolve() if log_file is not None else None
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        cmd = self._java_command(f"-Xmx{self.heap}", "-XX:+UseG1GC")
        cmd += ["kafka.Kafka", str(self.properties_file)]
        with open(self.log_file, "ab") as log:
            self._log_start = log.tell()
            log.write(f"\n=== starting: {' '.join(cmd)}\n".encode())
            log.flush()
            # The child keeps its own copy of the descriptor; ours can close right away.
            self._process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        _live_brokers.add(self)

    def is_running(self) -> bool:
        """True while the JVM started by :meth:`start` has not exited."""
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        """The JVM's exit code once it has ended (negative: the signal that killed it); None
        while it runs or before :meth:`start`. Asking reaps an ended JVM: a parent that never
        asks keeps a zombie for as long as it runs."""
        return None if self._process is None else self._process.poll()

    @property
    def pid(self) -> int | None:
        """The process id of the JVM of the current (or last) run."""
        return None if self._process is None else self._process.pid

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines the current run wrote to its console log (the JVM's own output
        plus log4j's warnings and errors; INFO goes only to ``<data_dir>/logs/server.log``)."""
        try:
            with open(self.log_file, "rb") as log:
                log.seek(self._log_start)
                text = log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return "(no broker log yet)"
        return "\n".join(text.splitlines()[-lines:])

    def _failure_details(self) -> str:
        return (
            f"full log in {self.data_dir / 'logs' / 'server.log'}; "
            f"last lines of {self.log_file} (JVM output, warnings and errors):\n{self.log_tail()}"
        )

    def _port_accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _broker_answers(self, timeout_s: float) -> bool:
        # Imported here so that importing this module does not require kafka-python.
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        ms = max(1000, int(timeout_s * 1000))
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                client_id="giaitrinh-readiness",
                bootstrap_timeout_ms=ms,
                request_timeout_ms=ms,
            )
        except (KafkaError, OSError):
            return False
        try:
            # The broker lists itself in metadata only once it has registered with the
            # controller and been unfenced, i.e. when topics can be created and written.
            return bool(admin.describe_cluster().get("brokers"))
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()

    def wait_ready(self, timeout: float = 120) -> None:
        """Block until the broker answers a metadata request listing itself.

        Polls with short sleeps: first until the port accepts TCP connections (cheap), then with
        a kafka-python admin client. Raises :class:`KafkaBrokerError`, including the tail of the
        broker's log, if the JVM exits or ``timeout`` seconds pass first.
        """
        if self._process is None:
            raise KafkaBrokerError("wait_ready() called before start()")
        deadline = time.monotonic() + timeout
        while True:
            code = self._process.poll()
            if code is not None:
                raise KafkaBrokerError(
                    f"the Kafka broker exited with code {code} while starting; "
                    f"{self._failure_details()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaBrokerError(
                    f"the Kafka broker on {self.bootstrap_servers} was not ready after "
                    f"{timeout:.0f}s; {self._failure_details()}"
                )
            # A short client timeout: a healthy broker answers in milliseconds, and a long one
            # would delay noticing that the JVM died (e.g. another process holds the port).
            if self._port_accepts() and self._broker_answers(min(remaining, 5.0)):
                return
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """Stop the broker: SIGTERM to its process group (Kafka then shuts down cleanly and
        flushes its logs), wait up to ``timeout`` seconds, then SIGKILL. Safe to call when the
        broker is not running."""
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                self._signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(process, signal.SIGKILL)
                    process.wait(timeout=10)
        finally:
            self._process = None
            _live_brokers.discard(self)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # start_new_session made the JVM a group leader

    def __enter__(self) -> Self:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"<LocalKafkaBroker {self.bootstrap_servers} {state} data_dir={self.data_dir}>"
