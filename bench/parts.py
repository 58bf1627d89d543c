"""The real parts the benchmarks run against, all started here and removed afterwards: a Kafka
broker (a fresh one per benchmark, so no benchmark reads another's events), one throwaway
PostgreSQL cluster, SQLite files in a temporary directory. Also the facts about this machine
that make the numbers comparable, and resident memory read from /proc."""
from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_platform.kafka_broker import (
    LIB_RELATIVE,
    LocalKafkaBroker,
    ensure_kafka_jars,
    free_port,
)
from tests.support.postgres import ThrowawayPostgres, find_postgres_bindir

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("sqlite", "postgresql")


class Parts:
    """A temporary directory, brokers on demand, and PostgreSQL started on first use.

    Use as a context manager; leaving it stops PostgreSQL and deletes every file."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._postgres: ThrowawayPostgres | None = None
        self.workdir = Path()

    def __enter__(self) -> Parts:
        tmp = tempfile.TemporaryDirectory(prefix="giaitrinh-bench-")
        self.workdir = Path(self._stack.enter_context(tmp))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    @contextmanager
    def kafka_broker(self, name: str) -> Iterator[LocalKafkaBroker]:
        """A fresh single-node broker on free ports, data in ``<workdir>/kafka-<name>``."""
        broker = LocalKafkaBroker(lib_dir=ensure_kafka_jars(ROOT),
                                  data_dir=self.workdir / f"kafka-{name}",
                                  port=free_port(), controller_port=free_port())
        with broker:
            yield broker

    def postgres(self) -> ThrowawayPostgres:
        if self._postgres is None:
            self._postgres = ThrowawayPostgres().start()
            self._stack.callback(self._postgres.stop)
        return self._postgres

    def database_url(self, backend: str, name: str) -> str:
        """An empty database called ``name``: a SQLite file, or a PostgreSQL database."""
        if backend == "sqlite":
            return f"sqlite:///{self.workdir / name}.db"
        return self.postgres().create_database(name)


def bus_with_topics(broker: LocalKafkaBroker) -> KafkaBus:
    """A bus on ``broker`` with every platform topic created (6 partitions, as deployed)."""
    bus = KafkaBus(broker.bootstrap_servers, client_id="giaitrinh-bench")
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    return bus


# -- machine facts -----------------------------------------------------------------------------

def _meminfo_kib(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def kafka_version() -> str:
    """The broker's version, from the name of its jar in ``.cache/kafka/lib``."""
    for jar in sorted((ROOT / LIB_RELATIVE).glob("kafka_*.jar")):
        if match := re.fullmatch(r"kafka_[\d.]+-(.+)\.jar", jar.name):
            return match.group(1)
    return "unknown"


def _command_output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False,
                              timeout=30).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine_facts(workdir: Path) -> dict[str, object]:
    """What the numbers depend on: cores, memory, versions, the disk the databases write to."""
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "memory_total_mib": _meminfo_kib("MemTotal") // 1024,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _command_output([str(find_postgres_bindir() / "postgres"), "--version"]),
        "kafka": kafka_version(),
        "java": (java.stderr.splitlines() or ["unknown"])[0],
        "temp_filesystem": _command_output(["df", "--output=fstype", str(workdir)]).split()[-1],
    }


# -- resident memory ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupMemory:
    """Memory of every process in one process group (a service process and its children)."""

    processes: int
    rss_kib: int  # sum of VmRSS: counts pages shared between the processes once per process
    pss_kib: int  # sum of Pss: shared pages split between their users, so the sum is honest

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024

    @property
    def pss_mib(self) -> float:
        return self.pss_kib / 1024


def _proc_field(path: Path, name: str) -> int:
    """A ``Name:  123 kB`` line of a /proc file, in KiB (0 if missing)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:  # the process ended meanwhile
        pass
    return 0


def _process_group(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[2])  # fields after "(comm)": state ppid pgrp


def group_memory(pgid: int) -> GroupMemory:
    """Sum VmRSS and Pss over the processes whose process group is ``pgid``."""
    pids = [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and _process_group(int(p.name)) == pgid]
    return GroupMemory(
        processes=len(pids),
        rss_kib=sum(_proc_field(Path(f"/proc/{pid}/status"), "VmRSS") for pid in pids),
        pss_kib=sum(_proc_field(Path(f"/proc/{pid}/smaps_rollup"), "Pss") for pid in pids),
    )


def broker_pid(broker: LocalKafkaBroker) -> int | None:
    """The JVM of ``broker``: the process whose command line names its properties file."""
    wanted = str(broker.properties_file).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka" in argv and wanted in argv:
            return int(entry.name)
    return None
