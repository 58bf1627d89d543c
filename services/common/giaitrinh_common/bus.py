"""The message bus port, and the in-memory bus used by unit tests and the standalone trial.

The Kafka adapter (:mod:`giaitrinh_common.kafka_bus`) and :class:`InMemoryBus` pass the same
contract tests (``tests/contracts/bus_contract.py``): per-key order, committed offsets per
consumer group, redelivery of what was not committed, rewinding, and lag counted from the
committed offsets.
"""
from __future__ import annotations

import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class BusUnavailable(RuntimeError):
    """The broker could not be reached or did not acknowledge in time. Nothing was lost:
    the caller still holds what it tried to publish (the outbox row, the uncommitted offset)."""


@dataclass(frozen=True)
class Message:
    """One record as a consumer sees it."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)
    timestamp_ms: int = 0

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


class Publisher(ABC):
    @abstractmethod
    def publish(self, topic: str, key: str, value: bytes, headers: dict[str, str] | None = None) -> None:
        """Queue a record; records with the same key keep their order on one partition."""

    @abstractmethod
    def flush(self, timeout: float = 30.0) -> None:
        """Block until every queued record is acknowledged by the bus (all in-sync replicas for
        Kafka). Raise :class:`BusUnavailable` if any was not; the caller must then treat all
        records queued since the last successful flush as unsent."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        pass


class Subscription(ABC):
    """A consumer group member reading some topics. Offsets are committed only by
    :meth:`commit`; anything polled but not committed is delivered again after a restart."""

    @abstractmethod
    def poll(self, timeout: float = 1.0, max_records: int = 100) -> list[Message]:
        """Records in order per partition; an empty list when none came within ``timeout``."""

    @abstractmethod
    def commit(self, messages: Iterable[Message]) -> None:
        """Record, in one round trip, that each of ``messages`` and everything before it on
        its partition is done (for several of one partition, the highest offset counts)."""

    @abstractmethod
    def rewind(self, message: Message) -> None:
        """Deliver ``message`` and the rest of its partition after it again from the next poll.
        Later records of that partition already returned by the current poll must be ignored by
        the caller. A partition no longer assigned to this member is left alone (its new owner
        reads from the committed offset)."""

    @abstractmethod
    def assigned(self) -> set[tuple[str, int]]:
        """The (topic, partition) pairs this member reads now."""

    @abstractmethod
    def lag(self) -> dict[tuple[str, int], int]:
        """Records not yet committed, per (topic, partition) assigned to this member: what is
        waiting, however far this member has read. Raises BusUnavailable if the broker does
        not answer."""

    @abstractmethod
    def unread(self) -> dict[tuple[str, int], int]:
        """Records this member has not read yet (from its position to the end), per (topic,
        partition) assigned to it: 0 everywhere once it has caught up, committed or not — what a
        reader that never commits waits on. Raises BusUnavailable if the broker does not answer."""

    @abstractmethod
    def close(self) -> None: ...


class MessageBus(ABC):
    @abstractmethod
    def publisher(self) -> Publisher: ...

    @abstractmethod
    def subscribe(self, group: str, topics: list[str]) -> Subscription: ...

    @abstractmethod
    def ensure_topics(self, topics: list[str], partitions: int,
                      configs: Mapping[str, Mapping[str, str]] | None = None, *,
                      replication_factor: int = 1) -> None:
        """Create the topics that do not exist yet, with ``partitions``, ``replication_factor``
        copies and their entry in ``configs`` (topic → setting → value). An existing topic keeps
        its partitions and replicas; a setting named in ``configs`` that differs is changed."""

    @abstractmethod
    def is_available(self, timeout: float = 2.0) -> bool:
        """Whether the bus answers now (for readiness checks); never raises."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        pass


def partition_for(key: str | None, partitions: int) -> int:
    return zlib.crc32((key or "").encode()) % partitions


class InMemoryBus(MessageBus):
    """A whole bus in one process: topics as lists of partitions, offsets per group.
    One subscription per group at a time (no rebalancing): enough for a single-process trial."""

    def __init__(self, partitions: int = 6, clock=time.time):
        self._default_partitions = partitions
        self._clock = clock
        self._logs: dict[str, list[list[Message]]] = {}
        self._committed: dict[tuple[str, str, int], int] = defaultdict(int)
        self._cond = threading.Condition()
        self.available = True

    # -- administration -------------------------------------------------------------------
    def ensure_topics(self, topics: list[str], partitions: int,
                      configs: Mapping[str, Mapping[str, str]] | None = None, *,
                      replication_factor: int = 1) -> None:
        # Retention and the like mean nothing in memory: nothing is ever deleted here.
        with self._cond:
            for topic in topics:
                self._logs.setdefault(topic, [[] for _ in range(partitions)])

    def is_available(self, timeout: float = 2.0) -> bool:
        return self.available

    def records(self, topic: str) -> list[Message]:
        """Every record of a topic, all partitions (for tests and the trial's inspection)."""
        with self._cond:
            return [m for part in self._logs.get(topic, []) for m in part]

    # -- producing ------------------------------------------------------------------------
    def _append(self, topic: str, key: str | None, value: bytes, headers: dict[str, str]) -> None:
        with self._cond:
            parts = self._logs.setdefault(topic, [[] for _ in range(self._default_partitions)])
            p = partition_for(key, len(parts))
            parts[p].append(
                Message(topic, p, len(parts[p]), key, value, dict(headers), int(self._clock() * 1000))
            )
            self._cond.notify_all()

    def publisher(self) -> Publisher:
        return _InMemoryPublisher(self)

    def subscribe(self, group: str, topics: list[str]) -> Subscription:
        return _InMemorySubscription(self, group, topics)


class _InMemoryPublisher(Publisher):
    def __init__(self, bus: InMemoryBus):
        self._bus = bus
        self._pending: list[tuple[str, str, bytes, dict[str, str]]] = []

    def publish(self, topic, key, value, headers=None):
        self._pending.append((topic, key, value, dict(headers or {})))

    def flush(self, timeout: float = 30.0) -> None:
        if not self._bus.available:
            self._pending.clear()
            raise BusUnavailable("in-memory bus switched off")
        pending, self._pending = self._pending, []
        for topic, key, value, headers in pending:
            self._bus._append(topic, key, value, headers)


class _InMemorySubscription(Subscription):
    def __init__(self, bus: InMemoryBus, group: str, topics: list[str]):
        self._bus, self._group, self._topics = bus, group, list(topics)
        self._position: dict[tuple[str, int], int] = {}
        bus.ensure_topics(self._topics, bus._default_partitions)

    def _partitions(self):
        for topic in self._topics:
            for p in range(len(self._bus._logs[topic])):
                yield topic, p

    def _pos(self, tp: tuple[str, int]) -> int:
        if tp not in self._position:
            self._position[tp] = self._bus._committed[(self._group, *tp)]
        return self._position[tp]

    def _take(self, max_records: int) -> list[Message]:
        out: list[Message] = []
        for tp in self._partitions():
            log = self._bus._logs[tp[0]][tp[1]]
            start = self._pos(tp)
            batch = log[start : start + max_records - len(out)]
            out += batch
            self._position[tp] = start + len(batch)
            if len(out) >= max_records:
                break
        return out

    def poll(self, timeout: float = 1.0, max_records: int = 100) -> list[Message]:
        deadline = time.monotonic() + timeout
        with self._bus._cond:
            while True:
                if self._bus.available:
                    out = self._take(max_records)
                    if out:
                        return out
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._bus._cond.wait(min(remaining, 0.05))

    def commit(self, messages: Iterable[Message]) -> None:
        with self._bus._cond:
            for message in messages:
                key = (self._group, message.topic, message.partition)
                self._bus._committed[key] = max(self._bus._committed[key], message.offset + 1)

    def rewind(self, message: Message) -> None:
        with self._bus._cond:
            self._position[(message.topic, message.partition)] = message.offset

    def assigned(self) -> set[tuple[str, int]]:
        with self._bus._cond:
            return set(self._partitions())

    def lag(self) -> dict[tuple[str, int], int]:
        if not self._bus.available:
            raise BusUnavailable("in-memory bus switched off")
        with self._bus._cond:
            return {tp: len(self._bus._logs[tp[0]][tp[1]]) - self._bus._committed[(self._group, *tp)]
                    for tp in self._partitions()}

    def unread(self) -> dict[tuple[str, int], int]:
        if not self._bus.available:
            raise BusUnavailable("in-memory bus switched off")
        with self._bus._cond:
            return {tp: len(self._bus._logs[tp[0]][tp[1]]) - self._pos(tp) for tp in self._partitions()}

    def close(self) -> None:
        pass
