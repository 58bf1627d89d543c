"""Dead letters: what a consumer group parked on its dead-letter topics, and sending them back.

The consumer (:mod:`giaitrinh_common.consumer`) parks a record it cannot apply on
``<stream>.<group>.dlq`` with the original bytes and headers saying why. Operators read them
here and, once the cause is fixed (a handler bug, a missing locality), **replay** them: each
goes to the group's own retry topic ``<stream>.<group>.retry``, so only that group sees it
again. A replayed event that is parked in the group's waiting room gets a fresh start there, at
the head of its request's queue; any other is applied like a new arrival, and the inbox makes a
replay of an already applied event a harmless duplicate. Reading never commits offsets, so it
changes nothing.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from giaitrinh_common import topics
from giaitrinh_common.bus import Message, MessageBus

# Headers the consumer adds when it parks or retries a record; a replay starts without them.
_PARKING_HEADERS = ("x-dlq-reason", "x-dlq-detail", "x-original-topic", "x-original-partition",
                    "x-original-offset", "x-consumer-group", "x-failed-at", "x-attempts",
                    "x-parked")
H_REPLAYED_FROM = "x-replayed-from"


@dataclass(frozen=True)
class DeadLetter:
    """Thư lỗi — one record a consumer group could not apply, and why."""

    stream: str
    group: str
    topic: str
    partition: int
    offset: int
    key: str | None
    reason: str
    detail: str
    failed_at: datetime | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_message(cls, message: Message, stream: str, group: str) -> DeadLetter:
        failed_at = message.header("x-failed-at")
        return cls(stream=stream, group=group, topic=message.topic, partition=message.partition,
                   offset=message.offset, key=message.key,
                   reason=message.header("x-dlq-reason") or "unknown",
                   detail=message.header("x-dlq-detail") or "",
                   failed_at=datetime.fromtimestamp(float(failed_at), UTC) if failed_at else None,
                   value=message.value, headers=dict(message.headers))

    @property
    def event(self) -> dict[str, str]:
        """The event's ``type`` and ``id`` where the bytes are a JSON object ({} otherwise)."""
        try:
            parsed = json.loads(self.value)
        except ValueError:
            return {}
        if not isinstance(parsed, dict):
            return {}
        return {k: str(parsed[k]) for k in ("type", "id", "subject") if k in parsed}

    @property
    def where(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


def read_dead_letters(bus: MessageBus, group: str, stream: str, *,
                      timeout: float = 30.0) -> list[DeadLetter]:
    """Every dead letter ``group`` parked for ``stream``, oldest first per partition.

    Reads with a throwaway consumer group that never commits, until it has caught up with the
    end of every partition (or ``timeout`` seconds have passed)."""
    topic = topics.dead_letter_topic(stream, group)
    subscription = bus.subscribe(f"{group}.dlq-reader.{uuid.uuid4().hex[:8]}", [topic])
    got: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            got += subscription.poll(timeout=0.5, max_records=500)
            unread = subscription.unread()  # never committed: its lag would never reach 0
            if unread and not any(unread.values()):
                break
    finally:
        subscription.close()
    got.sort(key=lambda m: (m.timestamp_ms, m.partition, m.offset))
    return [DeadLetter.from_message(m, stream, group) for m in got]


def replayable(letters: Iterable[DeadLetter], reasons: Iterable[str] = ()) -> list[DeadLetter]:
    """The letters to send back: those with one of ``reasons``, or, when none are named, all
    but ``malformed`` ones (bytes that are not a CloudEvent never parse, however often sent)."""
    wanted = set(reasons)
    return [x for x in letters if (x.reason in wanted if wanted else x.reason != "malformed")]


def replay_dead_letters(bus: MessageBus, letters: Iterable[DeadLetter],
                        progress: Callable[[int], None] = lambda n: None) -> int:
    """Send each letter back to its group's retry topic; return how
    many were sent. Raises BusUnavailable if the broker did not acknowledge them all (then
    none may be assumed sent; replaying again is harmless)."""
    publisher = bus.publisher()
    sent = 0
    try:
        for letter in letters:
            headers = {k: v for k, v in letter.headers.items() if k not in _PARKING_HEADERS}
            headers[H_REPLAYED_FROM] = letter.where
            publisher.publish(topics.retry_topic(letter.stream, letter.group), letter.key or "",
                              letter.value, headers)
            sent += 1
            progress(1)
        publisher.flush()
    finally:
        publisher.close()
    return sent
