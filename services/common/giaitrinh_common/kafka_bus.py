"""The Kafka adapter of the bus port (kafka-python 3). The only module that imports kafka.

Producer: idempotent, ``acks='all'``; a failed flush drops the producer so that the next try
starts clean (the outbox still holds the unsent rows). Consumer: manual commits only, so an
offset is committed after the change it caused is durable.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterable, Mapping

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from giaitrinh_common.bus import BusUnavailable, Message, MessageBus, Publisher, Subscription

log = logging.getLogger(__name__)


class KafkaBus(MessageBus):
    def __init__(self, bootstrap_servers: str, *, client_id: str = "giaitrinh",
                 connect_timeout: float = 5.0):
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self._timeout_ms = int(connect_timeout * 1000)
        self._availability: tuple[float, bool] = (0.0, False)

    def _common(self) -> dict:
        return {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "client_id": self.client_id,
            "bootstrap_timeout_ms": self._timeout_ms,
            "request_timeout_ms": max(self._timeout_ms, 30000),
        }

    def _require_reachable(self, timeout: float | None = None) -> None:
        """Raise BusUnavailable unless some bootstrap server accepts a TCP connection.

        Checked before building a kafka-python client: a client whose bootstrap fails leaves
        its socket for the garbage collector, and readiness probes and reconnect loops would
        pile those up while the broker is down."""
        wait = self._timeout_ms / 1000 if timeout is None else timeout
        for server in self.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port)), timeout=wait):
                    return
            except (OSError, ValueError):
                continue
        raise BusUnavailable(f"no Kafka broker answers at {self.bootstrap_servers}")

    def _admin(self) -> KafkaAdminClient:
        self._require_reachable()
        try:
            return KafkaAdminClient(**self._common())
        except KafkaError as exc:
            raise BusUnavailable(f"Kafka at {self.bootstrap_servers}: {exc}") from exc

    def publisher(self) -> Publisher:
        return KafkaPublisher(self)

    def subscribe(self, group: str, topics: list[str]) -> Subscription:
        return KafkaSubscription(self, group, topics)

    def ensure_topics(self, topics: list[str], partitions: int,
                      configs: Mapping[str, Mapping[str, str]] | None = None, *,
                      replication_factor: int = 1) -> None:
        configs = configs or {}
        admin = self._admin()
        try:
            existing = set(admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                new = {t: {"num_partitions": partitions, "replication_factor": replication_factor,
                           "configs": dict(configs.get(t, {}))} for t in missing}
                with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race
                    admin.create_topics(new, raise_errors=False, wait_for_metadata=True)
                log.info("created topics %s", ", ".join(missing))
            self._converge_configs(admin, {t: configs[t] for t in topics
                                           if t in existing and configs.get(t)})
        except KafkaError as exc:
            raise BusUnavailable(f"creating topics: {exc}") from exc
        finally:
            admin.close()

    @staticmethod
    def _settings(admin: KafkaAdminClient, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """Topic → every setting the broker reports for it (name → value)."""
        found = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in names],
                                       config_filter="all").get("topic", {})
        return {topic: {k: str((v or {}).get("value")) for k, v in entries.items()}
                for topic, entries in found.items()}

    def _converge_configs(self, admin: KafkaAdminClient, wanted: Mapping[str, Mapping[str, str]]) -> None:
        """Set the settings of existing topics that differ from ``wanted`` (others untouched)."""
        if not wanted:
            return
        current = self._settings(admin, wanted)
        changes = []
        for topic, settings in wanted.items():
            differing = {k: v for k, v in settings.items() if current.get(topic, {}).get(k) != v}
            if differing:
                changes.append(ConfigResource(ConfigResourceType.TOPIC, topic, configs=differing))
        if changes:
            admin.alter_configs(changes)
            log.info("changed settings of topics %s", ", ".join(c.name for c in changes))

    def topic_configs(self, topic: str) -> dict[str, str]:
        """Every setting of a topic as the broker reports it (name → value)."""
        admin = self._admin()
        try:
            return self._settings(admin, [topic]).get(topic, {})
        except KafkaError as exc:
            raise BusUnavailable(str(exc)) from exc
        finally:
            admin.close()

    def list_topics(self) -> dict[str, int]:
        """Topic name → partition count."""
        admin = self._admin()
        try:
            names = admin.list_topics()
            described = admin.describe_topics(names) if names else []
            return {d["name"]: len(d["partitions"]) for d in described}
        except KafkaError as exc:
            raise BusUnavailable(str(exc)) from exc
        finally:
            admin.close()

    def is_available(self, timeout: float = 2.0) -> bool:
        # Readiness probes hit this often; one broker round trip per few seconds is enough.
        checked_at, ok = self._availability
        if time.monotonic() - checked_at < 3.0:
            return ok
        try:
            self._require_reachable(timeout)
            admin = KafkaAdminClient(**{**self._common(), "bootstrap_timeout_ms": int(timeout * 1000)})
            try:
                admin.list_topics()
                ok = True
            finally:
                admin.close()
        except Exception:
            ok = False
        self._availability = (time.monotonic(), ok)
        return ok


class KafkaPublisher(Publisher):
    def __init__(self, bus: KafkaBus):
        self._bus = bus
        self._producer: KafkaProducer | None = None
        self._futures: list = []

    def _ensure(self) -> KafkaProducer:
        if self._producer is None:
            self._bus._require_reachable()
            try:
                self._producer = KafkaProducer(
                    **self._bus._common(),
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                    max_block_ms=self._bus._timeout_ms,
                )
            except KafkaError as exc:
                raise BusUnavailable(f"Kafka at {self._bus.bootstrap_servers}: {exc}") from exc
        return self._producer

    def publish(self, topic, key, value, headers=None):
        producer = self._ensure()
        try:
            self._futures.append(producer.send(
                topic, value=value, key=key.encode() if key is not None else None,
                headers=[(k, v.encode()) for k, v in (headers or {}).items()],
            ))
        except KafkaError as exc:
            self._reset()
            raise BusUnavailable(f"send to {topic}: {exc}") from exc

    def flush(self, timeout: float = 30.0) -> None:
        if self._producer is None:
            return
        futures, self._futures = self._futures, []
        try:
            self._producer.flush(timeout=timeout)
            for future in futures:
                future.get(timeout=0)
        except Exception as exc:
            self._reset()
            raise BusUnavailable(f"not acknowledged: {exc}") from exc

    def _reset(self) -> None:
        self._futures = []
        if self._producer is not None:
            with contextlib.suppress(Exception):
                self._producer.close(timeout=1)
            self._producer = None

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


class KafkaSubscription(Subscription):
    def __init__(self, bus: KafkaBus, group: str, topics: list[str]):
        self._bus, self._group, self._topics = bus, group, list(topics)
        self._consumer: KafkaConsumer | None = None

    def _ensure(self) -> KafkaConsumer:
        if self._consumer is None:
            self._bus._require_reachable()
            try:
                self._consumer = KafkaConsumer(
                    *self._topics,
                    **self._bus._common(),
                    group_id=self._group,
                    enable_auto_commit=False,
                    auto_offset_reset="earliest",
                    max_poll_interval_ms=300000,
                    # A worker that dies without leaving the group (SIGKILL, a lost machine)
                    # holds its partitions until this runs out: 10 s, not kafka-python's 45 s.
                    session_timeout_ms=10000,
                    heartbeat_interval_ms=3000,
                )
                # Know the topics' partitions before the first join: a member the group makes
                # its leader while its metadata is still on the way assigns nobody anything,
                # and the group stays idle until the next metadata refresh (minutes).
                for topic in self._topics:
                    self._consumer.partitions_for_topic(topic)
            except KafkaError as exc:
                with contextlib.suppress(Exception):
                    self.close()
                self._consumer = None
                raise BusUnavailable(f"Kafka at {self._bus.bootstrap_servers}: {exc}") from exc
        return self._consumer

    def poll(self, timeout: float = 1.0, max_records: int = 100) -> list[Message]:
        consumer = self._ensure()
        try:
            batches = consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        except KafkaError as exc:
            raise BusUnavailable(f"poll: {exc}") from exc
        out: list[Message] = []
        for tp, records in batches.items():
            for r in records:
                out.append(Message(
                    topic=tp.topic, partition=tp.partition, offset=r.offset,
                    key=r.key.decode() if r.key is not None else None,
                    value=r.value,
                    headers={k: (v or b"").decode(errors="replace") for k, v in (r.headers or [])},
                    timestamp_ms=r.timestamp,
                ))
        return out

    def commit(self, messages: Iterable[Message]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for message in messages:
            tp = TopicPartition(message.topic, message.partition)
            offsets[tp] = max(offsets.get(tp, 0), message.offset + 1)
        if not offsets:
            return
        consumer = self._ensure()
        try:
            consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
        except KafkaError as exc:
            raise BusUnavailable(f"commit: {exc}") from exc

    def rewind(self, message: Message) -> None:
        consumer = self._ensure()
        tp = TopicPartition(message.topic, message.partition)
        # Seeking a partition taken away by a rebalance raises inside kafka-python; its new
        # owner starts from the committed offset anyway.
        if tp in consumer.assignment():
            consumer.seek(tp, message.offset)

    def assigned(self) -> set[tuple[str, int]]:
        if self._consumer is None:
            return set()
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def lag(self) -> dict[tuple[str, int], int]:
        if self._consumer is None:
            return {}
        assigned = list(self._consumer.assignment())
        if not assigned:
            return {}
        # Asked after a failed round too: with the broker gone, kafka-python's offset requests
        # would open (and leak) a socket per try; a plain TCP check answers instead.
        self._bus._require_reachable(timeout=1.0)
        try:
            ends = self._consumer.end_offsets(assigned)
            starts = self._consumer.beginning_offsets(assigned)
            out = {}
            for tp in assigned:
                committed = self._consumer.committed(tp)
                done = committed if committed is not None else starts[tp]
                out[(tp.topic, tp.partition)] = max(0, ends[tp] - done)
            return out
        except KafkaError as exc:
            raise BusUnavailable(f"lag: {exc}") from exc

    def unread(self) -> dict[tuple[str, int], int]:
        if self._consumer is None:
            return {}
        assigned = list(self._consumer.assignment())
        if not assigned:
            return {}
        self._bus._require_reachable(timeout=1.0)
        try:
            ends = self._consumer.end_offsets(assigned)
            return {(tp.topic, tp.partition): max(0, ends[tp] - self._consumer.position(tp)) for tp in assigned}
        except KafkaError as exc:
            raise BusUnavailable(f"unread: {exc}") from exc

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
