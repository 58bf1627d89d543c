"""Topic names (the AsyncAPI document in ``contracts/asyncapi.yaml`` is the public statement).

Every topic is keyed by request id. Each consumer group owns a retry and a dead-letter topic
per topic it reads: ``<topic>.<group>.retry`` and ``<topic>.<group>.dlq``.
"""
from __future__ import annotations

INBOUND = "giaitrinh.inbound.v1"
REQUESTS = "giaitrinh.requests.v1"
CASES = "giaitrinh.cases.v1"
SCORES = "giaitrinh.scores.v1"
DELIVERIES = "giaitrinh.deliveries.v1"

STREAMS = (INBOUND, REQUESTS, CASES, SCORES, DELIVERIES)

DEFAULT_PARTITIONS = 6

KEEP_FOREVER_MS = "-1"
RETRY_RETENTION_MS = str(7 * 24 * 3600 * 1000)

# Which service's worker reads which stream. The one table of who-consumes-what; the worker
# entry points and the topic creation both use it.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "intake": (INBOUND, CASES),
    "routing": (REQUESTS,),
    "scoring": (REQUESTS, CASES),
    "notify": (REQUESTS, CASES, SCORES),
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


def config_of(topic: str) -> dict[str, str]:
    """The Kafka settings a topic of the platform is created (and kept) with.

    Streams are kept forever: they are the record of what happened, and scoring rebuilds its
    numbers from offset 0. Dead-letter topics too: a parked event is never dropped silently.
    A retry topic holds a record for minutes; a week is plenty."""
    if topic.endswith(".retry"):
        return {"retention.ms": RETRY_RETENTION_MS}
    return {"retention.ms": KEEP_FOREVER_MS}


def configs_of(names: list[str]) -> dict[str, dict[str, str]]:
    return {name: config_of(name) for name in names}
