"""Feeding a service's own consumer in unit tests: each event published on the stream its kind
travels on (the in-memory bus), then the consumer run until nothing is left to read."""
from __future__ import annotations

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent

# Which stream each kind of event travels on (the AsyncAPI document's channels); anything else
# is routing's (a case's or a commitment's).
_STREAMS = (("vn.giaitrinh.request.", topics.REQUESTS), ("vn.giaitrinh.violation.", topics.SCORES),
            ("vn.giaitrinh.delivery.", topics.DELIVERIES), ("vn.giaitrinh.account.", topics.REGISTRY),
            ("vn.giaitrinh.locality.", topics.REGISTRY), ("vn.giaitrinh.publisher.", topics.REGISTRY))


def stream_of(event: CloudEvent) -> str:
    return next((stream for prefix, stream in _STREAMS if event.type.startswith(prefix)), topics.CASES)


def publish(runtime, *events: CloudEvent, raw: tuple[tuple[str, bytes], ...] | list = ()) -> None:
    """``events`` on their streams, then ``raw`` (stream, bytes) records as a broken sender sends them."""
    publisher = runtime.bus.publisher()
    for event in events:
        publisher.publish(stream_of(event), event.key, event.to_json())
    for stream, value in raw:
        publisher.publish(stream, "k", value)
    publisher.flush()


def drain(consumer) -> None:
    """Run ``consumer`` until a poll brings nothing."""
    while consumer.run_once(timeout=0.05):
        pass


def consume(runtime, *events: CloudEvent, consumer=None, nothing_waits: bool = True) -> None:
    """Publish ``events`` and let the service's consumer (or ``consumer``) apply them; with
    ``nothing_waits``, none of them may be left in the waiting room."""
    publish(runtime, *events)
    consumer = consumer or runtime.consumer()
    drain(consumer)
    if nothing_waits:
        assert consumer.waiting.listing() == []
