"""The idempotent consumer every service's worker runs.

For each record, in order per partition:
  1. parse the envelope — unparseable → dead-letter topic (reason ``malformed``);
  2. validate ``data`` against the contract — invalid → dead-letter topic (reason ``schema``);
  3. types this group does not handle are skipped (outcome ``ignored``);
  4. if an earlier event of the same request (key) and stream is in the waiting room, or the
     event follows one this group handles and has not applied, it joins the waiting room
     (outcome ``deferred``) — see :mod:`giaitrinh_common.waiting_room`;
  5. otherwise apply the handler in one transaction with the event id in the inbox — a second
     delivery of the same id changes nothing (outcome ``duplicate``);
  6. a handler that rejects the event (:class:`RejectedEvent`) sends it to the dead-letter topic
     at once (reason ``rejected``); any other handler failure puts it in the waiting room to be
     tried again after a growing delay, and after ``max_attempts`` it is dead-lettered (reason
     ``handler``) and **parked**: the later events of its request and stream wait behind it
     until an operator replays or releases it.
After each poll the waiting room's due events are tried, oldest queue first.

Policy per request, in one sentence: events of one request on one stream are applied in the
order they were published, and across streams in the order ``follows`` states; other requests
flow on. Records that can never be applied as they are (malformed, schema-invalid, rejected)
do not hold up their request: they are on the dead-letter topic with their reason.

No header of an incoming record steers the consumer: attempts and times live in the waiting
room, so a sender cannot skip retries or stall a partition with a header.

Offsets are committed once per poll, for the records finished in it (applied, ignored,
dead-lettered, or safely in the waiting room). A crash before that commit redelivers records
that were finished; the inbox and the waiting room's unique event id make those harmless.
Handlers never commit: the consumer's one commit makes the inbox claim, the handler's changes,
its outgoing events and the removal from the waiting room atomic.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from sqlalchemy.exc import OperationalError

from giaitrinh_common import contracts, topics
from giaitrinh_common.bus import BusUnavailable, Message, MessageBus
from giaitrinh_common.envelope import CloudEvent, MalformedEvent
from giaitrinh_common.metrics import ServiceMetrics
from giaitrinh_common.storage import SqlUnitOfWork, StorageUnavailable
from giaitrinh_common.waiting_room import WaitingEvent, WaitingRoom

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent, SqlUnitOfWork], None]


class RejectedEvent(Exception):
    """Raised by a handler for an event that can never be applied (its content breaks a
    domain rule): it goes straight to the dead-letter topic (reason ``rejected``), unretried."""

# Why a record was parked on the dead-letter topic (header ``x-dlq-reason``).
DEAD_LETTER_REASONS = ("malformed", "schema", "rejected", "handler")

H_ORIGINAL_TOPIC = "x-original-topic"
H_REASON = "x-dlq-reason"
H_DETAIL = "x-dlq-detail"
H_ATTEMPTS = "x-attempts"
H_PARKED = "x-parked"

# How many waiting events one poll may try, so that a long queue cannot starve the topics.
DRAIN_LIMIT = 500


class IdempotentConsumer:
    def __init__(self, *, group: str, streams: tuple[str, ...], handlers: Mapping[str, Handler],
                 unit_of_work: Callable[[], SqlUnitOfWork], bus: MessageBus,
                 metrics: ServiceMetrics, max_attempts: int = 4, retry_backoff: float = 1.0,
                 clock: Callable[[], float] = time.time):
        self.group = group
        self.handlers = dict(handlers)
        self.unit_of_work = unit_of_work
        self.metrics = metrics
        self.max_attempts = max(1, max_attempts)
        self.retry_backoff = retry_backoff
        self.clock = clock
        self.storage = unit_of_work().storage
        self.waiting = WaitingRoom(self.storage, group)
        # A stream's retry topic carries operators' replays of dead letters (and nothing else).
        self.topics = [t for s in streams for t in (s, topics.retry_topic(s, group))]
        self.subscription = bus.subscribe(group, self.topics)
        self.publisher = bus.publisher()
        self._queued: set[tuple[str, str]] = set()

    # -- one round ------------------------------------------------------------------------
    def run_once(self, timeout: float = 1.0) -> int:
        """Poll once, process what came, commit the offsets of the finished records in one
        round trip, then try the waiting room's due events; return how many records and
        waiting events were finished.

        Raises BusUnavailable or StorageUnavailable when the broker or the database fails (and
        passes on anything unexpected); the records finished before the failure are committed
        if the broker still answers, and every record polled but not finished, on every
        partition, is read again later."""
        with self._storage_errors():
            self._queued = self.waiting.queued_keys()
        polled = self.subscription.poll(timeout=timeout)
        finished: dict[tuple[str, int], Message] = {}
        count = 0
        try:
            for message in polled:
                self.process(message)
                finished[(message.topic, message.partition)] = message
                count += 1
        except Exception:  # the broker, the database, or a bug: nothing polled is passed over
            self._rewind_unfinished(polled, finished)
            with contextlib.suppress(BusUnavailable):
                self._commit(finished)
            raise
        self._commit(finished)
        return count + self.drain_waiting()

    def _rewind_unfinished(self, polled: list[Message],
                           finished: Mapping[tuple[str, int], Message]) -> None:
        """Seek each partition back to its first record of this poll that was not finished:
        the subscription's position has already moved past them."""
        rewound: set[tuple[str, int]] = set()
        for message in polled:
            tp = (message.topic, message.partition)
            last = finished.get(tp)
            if tp not in rewound and (last is None or message.offset > last.offset):
                self.subscription.rewind(message)
                rewound.add(tp)

    def _commit(self, finished: Mapping[tuple[str, int], Message]) -> None:
        # One commit per poll, not per record: a synchronous offset commit is a round trip to
        # the group coordinator and cost two thirds of each record's time (bench/README.md).
        # A crash before it only redelivers records whose effects the inbox already holds.
        if finished:
            self.subscription.commit(list(finished.values()))

    # -- a record from a topic --------------------------------------------------------------
    def process(self, message: Message) -> str:
        """Take one record; return the outcome. Never raises for bad input or a failing
        handler; raises BusUnavailable if a dead-letter publish was not acknowledged, and
        StorageUnavailable if the database did not answer."""
        stream = topics.source_topic(message.topic)
        try:
            event = CloudEvent.from_json(message.value)
        except MalformedEvent as exc:
            return self._dead_letter(message, stream, "unknown", "malformed", exc.reason)
        try:
            contracts.validate(event)
        except contracts.SchemaViolation as exc:
            return self._dead_letter(message, stream, event.type, "schema", exc.reason)
        handler = self.handlers.get(event.type)
        if handler is None:
            return self._count(stream, event.type, "ignored")
        with self._storage_errors():
            if (stream, event.key) in self._queued:
                return self._join_queue(message, stream, event)
            if (missing := self._unapplied_predecessor(event)) is not None:
                return self._wait(message, stream, event, waiting_for=missing)
        return self._attempt(event, stream, handler, message=message)

    def _join_queue(self, message: Message, stream: str, event: CloudEvent) -> str:
        """An earlier event of this request and stream waits: this one waits behind it. The
        same event again (a redelivery, or an operator's replay of a parked one) adds nothing;
        a replay gives the parked event a fresh start."""
        known = self.waiting.find(event.id)
        if known is not None:
            if known.parked and message.topic == topics.retry_topic(stream, self.group):
                self.waiting.unpark(event.id)
                log.info("%s: replayed %s; its request's events go on", self.group, event.id)
                return self._count(stream, event.type, "replayed")
            return self._count(stream, event.type, "duplicate")
        return self._wait(message, stream, event)

    def _unapplied_predecessor(self, event: CloudEvent) -> str | None:
        """The id of the event this one follows, if this group handles that type and has not
        applied it yet (else None: nothing to wait for)."""
        if not event.follows or event.followstype not in self.handlers:
            return None
        return None if self.storage.has_applied(self.group, event.follows) else event.follows

    def _wait(self, message: Message, stream: str, event: CloudEvent, *,
              waiting_for: str | None = None) -> str:
        self._queue(message, stream, event, waiting_for=waiting_for)
        return self._count(stream, event.type, "deferred")

    def _queue(self, message: Message, stream: str, event: CloudEvent, *, attempts: int = 0,
               not_before: float | None = None, waiting_for: str | None = None,
               error: str | None = None, parked: bool = False) -> None:
        self.waiting.add(stream=stream, key=event.key, topic=message.topic,
                         partition=message.partition, offset=message.offset, event_id=event.id,
                         event_type=event.type, payload=event.to_json().decode(),
                         now=self.clock(), attempts=attempts, not_before=not_before,
                         waiting_for=waiting_for, last_error=error, parked=parked)
        self._queued.add((stream, event.key))

    # -- applying ---------------------------------------------------------------------------
    def _attempt(self, event: CloudEvent, stream: str, handler: Handler, *,
                 message: Message | None = None, waiting: WaitingEvent | None = None) -> str:
        """Apply ``event`` (a fresh ``message``, or a ``waiting`` one); on failure, wait or
        dead-letter as the module docstring says."""
        try:
            with self.metrics.handler_timer(event.type):
                applied = self._apply(handler, event, waiting)
        except RejectedEvent as exc:
            outcome = self._dead_letter_event(event, stream, message, waiting, "rejected", str(exc))
            if waiting is not None:
                self._storage(self.waiting.remove, waiting.id)
            return outcome
        except OperationalError as exc:
            # The database, not the event, failed: retrying it on a timer would only burn its
            # attempts. The worker backs off and the same record is read again.
            raise StorageUnavailable(str(exc.orig or exc)) from exc
        except StorageUnavailable:
            raise
        except Exception as exc:
            log.warning("handler for %s failed on %s: %s", event.type, event.id, exc, exc_info=True)
            return self._failed(event, stream, exc, message, waiting)
        if not applied and waiting is not None:
            self._storage(self.waiting.remove, waiting.id)
        return self._count(stream, event.type, "applied" if applied else "duplicate")

    def _apply(self, handler: Handler, event: CloudEvent, waiting: WaitingEvent | None) -> bool:
        with self.unit_of_work() as uow:
            if not uow.claim(self.group, event):
                return False
            handler(event, uow)
            if waiting is not None:
                uow.execute(self.waiting.removal(waiting.id))
            uow.commit()
            return True

    def _failed(self, event: CloudEvent, stream: str, exc: Exception, message: Message | None,
                waiting: WaitingEvent | None) -> str:
        attempts = (waiting.attempts if waiting is not None else 0) + 1
        error = f"{type(exc).__name__}: {exc}"[:500]
        last = attempts >= self.max_attempts
        if last:
            self._dead_letter_event(event, stream, message, waiting, "handler",
                                    f"failed after {attempts} attempts; last error {error}",
                                    attempts=attempts, parked=True)
            log.error("%s: parked %s of request %s after %s attempts; later events of that "
                      "request on %s wait behind it", self.group, event.id, event.key, attempts, stream)
        not_before = None if last else self.clock() + self.retry_backoff * 2 ** (attempts - 1)
        with self._storage_errors():
            if waiting is None:
                assert message is not None
                self._queue(message, stream, event, attempts=attempts, not_before=not_before,
                            error=error, parked=last)
            elif last:
                self.waiting.park(waiting.id, attempts, error)
            else:
                assert not_before is not None
                self.waiting.reschedule(waiting.id, attempts, not_before, error)
        if last:
            return self._count(stream, event.type, "dead_lettered")
        return self._count(stream, event.type, "retried")

    # -- the waiting room -------------------------------------------------------------------
    def drain_waiting(self) -> int:
        """Try every due event at the head of a waiting queue, again and again while that
        finishes some (so a queue empties in order); return how many were finished."""
        finished = 0
        if not self._queued:
            return 0
        with self._storage_errors():
            while finished < DRAIN_LIMIT:
                progressed = 0
                owned = self.subscription.assigned()
                for head in self.waiting.heads():
                    if (head.topic, head.partition) not in owned or not self._is_due(head):
                        continue
                    if self._try_waiting(head) != "retried":
                        progressed += 1
                    if finished + progressed >= DRAIN_LIMIT:
                        break
                finished += progressed
                if not progressed:
                    break
        return finished

    def _is_due(self, head: WaitingEvent) -> bool:
        if not head.due(self.clock()):
            return False
        return head.waiting_for is None or self.storage.has_applied(self.group, head.waiting_for)

    def _try_waiting(self, head: WaitingEvent) -> str:
        event = CloudEvent.from_json(head.payload)  # it was a valid event when it came in
        handler = self.handlers.get(event.type)
        if handler is None:  # a newer version of the service no longer handles this type
            self.waiting.remove(head.id)
            return self._count(head.stream, event.type, "ignored")
        return self._attempt(event, head.stream, handler, waiting=head)

    # -- dead letters -----------------------------------------------------------------------
    def _dead_letter(self, message: Message, stream: str, type_: str, reason: str,
                     detail: str) -> str:
        self._publish_dead_letter(message.key or "", message.value, message.headers, stream,
                                  (message.topic, message.partition, message.offset), reason, detail)
        return self._count(stream, type_, "dead_lettered")

    def _dead_letter_event(self, event: CloudEvent, stream: str, message: Message | None,
                           waiting: WaitingEvent | None, reason: str, detail: str, *,
                           attempts: int = 1, parked: bool = False) -> str:
        if message is not None:
            value, headers = message.value, message.headers
            origin = (message.topic, message.partition, message.offset)
        else:
            assert waiting is not None
            value, headers = waiting.payload.encode(), {}
            origin = (waiting.topic, waiting.partition, waiting.offset)
        extra = {H_ATTEMPTS: str(attempts), **({H_PARKED: "true"} if parked else {})}
        self._publish_dead_letter(event.key, value, {**headers, **extra}, stream, origin, reason,
                                  detail)
        return self._count(stream, event.type, "dead_lettered")

    def _publish_dead_letter(self, key: str, value: bytes, headers: Mapping[str, str],
                             stream: str, origin: tuple[str, int, int], reason: str,
                             detail: str) -> None:
        topic, partition, offset = origin
        log.warning("dead-lettering %s[%s]@%s: %s: %s", topic, partition, offset, reason, detail)
        out = {**headers, H_REASON: reason, H_DETAIL: detail[:1000], H_ORIGINAL_TOPIC: stream,
               "x-original-partition": str(partition), "x-original-offset": str(offset),
               "x-consumer-group": self.group, "x-failed-at": f"{self.clock():.3f}"}
        self.publisher.publish(topics.dead_letter_topic(stream, self.group), key, value, out)
        self.publisher.flush()
        self.metrics.dead_lettered(self.group, stream, reason)

    # -- helpers ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _storage_errors(self):
        try:
            yield
        except OperationalError as exc:
            raise StorageUnavailable(str(exc.orig or exc)) from exc

    def _storage(self, fn, *args):
        with self._storage_errors():
            return fn(*args)

    def _count(self, stream: str, type_: str, outcome: str) -> str:
        self.metrics.consumed(self.group, stream, type_, outcome)
        return outcome

    def report_lag(self) -> None:
        """Set the lag and waiting-room gauges; safe to call whatever state the consumer is in."""
        with contextlib.suppress(BusUnavailable):
            self.metrics.consumer_lag(self.group, self.subscription.lag())
        with contextlib.suppress(Exception):
            summary = self.waiting.summary()
            self.metrics.waiting_room(self.group, summary, self.clock())

    def close(self) -> None:
        self.subscription.close()
        self.publisher.close()
