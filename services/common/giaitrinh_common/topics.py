"""Topic names (the AsyncAPI document in ``contracts/asyncapi.yaml`` is the public statement).

Every topic is keyed by request id, except the registry's, keyed by the entity's id (locality
code, account id, publisher id). Each consumer group owns a retry and a dead-letter topic
per topic it reads: ``<topic>.<group>.retry`` and ``<topic>.<group>.dlq``.
"""
from __future__ import annotations

INBOUND = "giaitrinh.inbound.v1"
REQUESTS = "giaitrinh.requests.v1"
CASES = "giaitrinh.cases.v1"
SCORES = "giaitrinh.scores.v1"
DELIVERIES = "giaitrinh.deliveries.v1"
# Routing's registry: served localities with their units, staff accounts, publishers.
REGISTRY = "giaitrinh.registry.v1"

STREAMS = (INBOUND, REQUESTS, CASES, SCORES, DELIVERIES, REGISTRY)

DEFAULT_PARTITIONS = 6

KEEP_FOREVER_MS = "-1"
RETRY_RETENTION_MS = str(7 * 24 * 3600 * 1000)

# Which service's worker reads which stream. The one table of who-consumes-what; the worker
# entry points and the topic creation both use it.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "intake": (INBOUND, CASES, REGISTRY),
    "routing": (REQUESTS,),
    "scoring": (REQUESTS, CASES, REGISTRY),
    "notify": (REQUESTS, CASES, SCORES, REGISTRY),
}


def retry_topic(topic: str, group: str) -> str:
    return f"{topic}.{group}.retry"


def dead_letter_topic(topic: str, group: str) -> str:
    return f"{topic}.{group}.dlq"


def source_topic(topic: str) -> str:
    """The stream a retry or dead-letter topic belongs to (the topic itself for a stream)."""
    for stream in STREAMS:
        if topic == stream or topic.startswith(stream + "."):
            return stream
    return topic


def group_topics(group: str, streams: tuple[str, ...]) -> list[str]:
    """All topics a consumer group touches: its streams, their retry and dead-letter topics."""
    out: list[str] = []
    for stream in streams:
        out += [stream, retry_topic(stream, group), dead_letter_topic(stream, group)]
    return out


def all_topics() -> list[str]:
    """Every topic of the platform, for ``giaitrinh topics create``."""
    names = list(STREAMS)
    for group, streams in SUBSCRIPTIONS.items():
        names += [t for t in group_topics(group, streams) if t not in names]
    return names


def min_insync_replicas(replication_factor: int) -> int:
    """How many replicas must hold a record before it counts as written: all but one (at least
    one), so a cluster of three keeps accepting writes with one broker down and never loses an
    acknowledged record to a single failure."""
    return max(1, replication_factor - 1)


def config_of(topic: str, replication_factor: int = 1) -> dict[str, str]:
    """The Kafka settings a topic of the platform is created (and kept) with.

    Streams are kept forever: they are the record of what happened, and scoring rebuilds its
    numbers from offset 0. Dead-letter topics too: a parked event is never dropped silently.
    A retry topic holds operators' replays until the group reads them: a group may be down
    longer than any retention, so it is kept forever as well (it stays small)."""
    return {"retention.ms": KEEP_FOREVER_MS,
            "min.insync.replicas": str(min_insync_replicas(replication_factor))}


def configs_of(names: list[str], replication_factor: int = 1) -> dict[str, dict[str, str]]:
    return {name: config_of(name, replication_factor) for name in names}
