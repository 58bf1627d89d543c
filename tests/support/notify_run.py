"""Notify's worker as a real process against a real broker and a real SMTP server (the local
sink), for the kill test (tests/integration/test_notify_kill.py) and the benchmark
(bench/notify.py): requests told step by step, the worker started, killed with SIGKILL and
started again, and what reached the mailbox counted against the ledger."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from giaitrinh_common import migrations, topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_common.tracking_codes import compose
from giaitrinh_notify.entrypoints.smtp_sink import read_index, read_mailbox, start_sink
from tests.support.case_history import CaseHistory

STATUTORY = ("received", "accepted", "extended", "answered")  # the four notices of "Done means"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def story(n: int, domain: str) -> list[CloudEvent]:
    """One request submitted (with an email to be told at), accepted, extended and answered —
    the events intake and routing publish for it, in order."""
    history = CaseHistory(tracking_code=compose(f"{n:08d}"))
    history.submitted.data["contact"] = {"email": f"dan{n}@{domain}"}
    history.accept()
    history.extend()
    history.answer()
    return [history.submitted, *history.events]


@dataclass
class NotifyRun:
    folder: Path
    bootstrap: str
    smtp_delay: float = 0.0
    lease: float = 9.0
    kills: int = 0
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    # Arrival numbers (1-based, counting every arrival) at which the sink kills the worker after
    # keeping the message and before answering 250: a kill inside the window, on purpose.
    kill_on_arrival: frozenset[int] = frozenset()
    killed_in_window: list[str] = field(default_factory=list)
    # The worker's database: a SQLite file in ``folder`` unless a URL is given (PostgreSQL).
    database_url: str | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.mail = self.folder / "mail"
        self.smtp_port = free_port()
        self._arrived = 0
        self.sink = start_sink(self.mail, port=self.smtp_port, delay=self.smtp_delay, on_stored=self._stored)
        url = self.database_url or f"sqlite:///{self.folder / 'notify.db'}"
        migrations.upgrade("giaitrinh_notify", url)
        self._db = sa.create_engine(url, poolclass=sa.pool.NullPool)  # counting, from outside
        self.env = {**os.environ, "NOTIFY_DATABASE_URL": url, "GIAITRINH_KAFKA_BOOTSTRAP": self.bootstrap,
                    "GIAITRINH_DATA_DIR": str(self.folder), "NOTIFY_METRICS_PORT": str(free_port()),
                    "NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(self.smtp_port),
                    "NOTIFY_SMTP_SECURITY": "none", "NOTIFY_SMTP_TIMEOUT": "2",
                    "NOTIFY_SEND_LEASE": str(self.lease), "NOTIFY_SEND_INTERVAL": "0.05",
                    "NOTIFY_WEBHOOK_TIMEOUT": "4",  # within the short lease
                    "GIAITRINH_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **self.env}

    def _stored(self, line: dict) -> None:
        self._arrived += 1
        if self._arrived in self.kill_on_arrival and self.process is not None:
            self.process.send_signal(signal.SIGKILL)  # before the 250: the worker never hears it
            self.killed_in_window.append(line["message_id"])

    def restart_if_dead(self) -> bool:
        """Start the worker again if it is gone (the sink killed it); whether it had to."""
        if self.process is not None and self.process.poll() is not None:
            self.kills += 1
            self.start()
            return True
        return False

    # -- the broker --------------------------------------------------------------------------
    def publish(self, events: list[CloudEvent]) -> None:
        bus = KafkaBus(self.bootstrap, client_id="notify-run")
        try:
            bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS,
                              topics.configs_of(topics.all_topics()))
            publisher = bus.publisher()
            for event in events:
                stream = topics.CASES if event.type.startswith("vn.giaitrinh.case.") else topics.REQUESTS
                publisher.publish(stream, event.key, event.to_json())
            publisher.flush()
        finally:
            bus.close()

    # -- the worker ----------------------------------------------------------------------------
    def start(self) -> None:
        log = open(self.folder / "notify-worker.log", "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen([sys.executable, "-m", "giaitrinh_platform.cli", "notify", "worker"],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction finishes, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def close(self) -> None:
        self.stop()
        self.sink.stop()
        self._db.dispose()

    def rss_mib(self) -> float:
        """The worker's resident memory now."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    # -- counting -----------------------------------------------------------------------------
    def ledger(self) -> dict[str, int]:
        """Deliveries by status."""
        with self._db.connect() as db:
            return {status: n for status, n in db.execute(
                sa.text("SELECT status, count(*) FROM deliveries GROUP BY status"))}

    def applied(self) -> int:
        """Events the worker's consumer has applied (its inbox rows)."""
        with self._db.connect() as db:
            return db.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one()

    def in_doubt(self) -> list[str]:
        """Delivery keys taken more than once (a worker died while it held them)."""
        with self._db.connect() as db:
            return list(db.execute(sa.text("SELECT delivery_key FROM deliveries WHERE attempts > 1")).scalars())

    def arrivals(self) -> list[dict]:
        return read_index(self.mail)

    def mailbox(self):
        return read_mailbox(self.mail)

    def wait_sent(self, expected: int, timeout: float) -> float:
        """Wait until ``expected`` deliveries are sent; the seconds it took."""
        started = time.monotonic()
        while self.ledger().get("sent", 0) < expected:
            if time.monotonic() - started > timeout:
                raise AssertionError(f"only {self.ledger()} of {expected} sent after {timeout:.0f}s "
                                     f"(see {self.folder / 'notify-worker.log'})")
            if self.restart_if_dead():
                continue
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the notify worker exited ({self.process.returncode}); "
                                     f"see {self.folder / 'notify-worker.log'}")
            time.sleep(0.2)
        return time.monotonic() - started
