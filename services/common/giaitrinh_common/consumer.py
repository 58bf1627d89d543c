"""The idempotent consumer every service's worker runs.

For each record, in order per partition:
  1. parse the envelope — unparseable → dead-letter topic (reason ``malformed``);
  2. validate ``data`` against the contract — invalid → dead-letter topic (reason ``schema``);
  3. types this group does not handle are skipped (outcome ``ignored``);
  4. apply the handler in one transaction with the event id in the inbox — a second delivery
     of the same id changes nothing (outcome ``duplicate``);
  5. a handler that rejects the event (:class:`RejectedEvent`) sends it to the dead-letter
     topic at once (reason ``rejected``); any other handler failure goes to
     ``<topic>.<group>.retry`` with a growing delay, and after ``max_attempts`` to the
     dead-letter topic (reason ``handler``).
Offsets are committed once per poll, for the records finished in it: only after step 4's
commit or step 1/2/5's publish is acknowledged. A crash before that commit redelivers records
that were finished; the inbox turns those into duplicates.
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

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent, SqlUnitOfWork], None]


class RejectedEvent(Exception):
    """Raised by a handler for an event that can never be applied (its content breaks a
    domain rule): it goes straight to the dead-letter topic (reason ``rejected``), unretried."""

# Why a record was parked on the dead-letter topic (header ``x-dlq-reason``).
DEAD_LETTER_REASONS = ("malformed", "schema", "rejected", "handler")

H_ATTEMPT = "x-attempt"
H_NOT_BEFORE = "x-not-before"
H_ORIGINAL_TOPIC = "x-original-topic"
H_REASON = "x-dlq-reason"
H_DETAIL = "x-dlq-detail"
H_ERROR = "x-last-error"


class IdempotentConsumer:
    def __init__(self, *, group: str, streams: tuple[str, ...], handlers: Mapping[str, Handler],
                 unit_of_work: Callable[[], SqlUnitOfWork], bus: MessageBus,
                 metrics: ServiceMetrics, max_attempts: int = 4, retry_backoff: float = 1.0,
                 clock: Callable[[], float] = time.time):
        self.group = group
        self.handlers = dict(handlers)
        self.unit_of_work = unit_of_work
        self.metrics = metrics
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff
        self.clock = clock
        self.topics = [t for s in streams for t in (s, topics.retry_topic(s, group))]
        self.subscription = bus.subscribe(group, self.topics)
        self.publisher = bus.publisher()

    def run_once(self, timeout: float = 1.0) -> int:
        """Poll once, process what came, and commit the offsets of the finished records in one
        round trip; return how many records were finished.

        Raises BusUnavailable or StorageUnavailable when the broker or the database fails (and
        passes on anything unexpected); the records finished before the failure are committed
        if the broker still answers, and every record polled but not finished, on every
        partition, is read again later."""
        polled = self.subscription.poll(timeout=timeout)
        finished: dict[tuple[str, int], Message] = {}
        held: set[tuple[str, int]] = set()  # partitions whose rest comes again later
        count = 0
        try:
            for message in polled:
                tp = (message.topic, message.partition)
                if tp in held:
                    continue
                not_before = float(message.header(H_NOT_BEFORE) or 0)
                if not_before > self.clock():
                    self.subscription.redeliver_at(message, not_before)
                    held.add(tp)
                    continue
                self.process(message)
                finished[tp] = message
                count += 1
        except Exception:  # the broker, the database, or a bug: nothing polled is passed over
            self._rewind_unfinished(polled, finished, held)
            with contextlib.suppress(BusUnavailable):
                self._commit(finished)
            raise
        self._commit(finished)
        return count

    def _rewind_unfinished(self, polled: list[Message],
                           finished: Mapping[tuple[str, int], Message],
                           held: set[tuple[str, int]]) -> None:
        """Seek each partition back to its first record of this poll that was not finished:
        the subscription's position has already moved past them."""
        for message in polled:
            tp = (message.topic, message.partition)
            last = finished.get(tp)
            if tp not in held and (last is None or message.offset > last.offset):
                self.subscription.redeliver_at(message, 0)
                held.add(tp)

    def _commit(self, finished: Mapping[tuple[str, int], Message]) -> None:
        # One commit per poll, not per record: a synchronous offset commit is a round trip to
        # the group coordinator and cost two thirds of each record's time (bench/README.md).
        # A crash before it only redelivers records whose effects the inbox already holds.
        if finished:
            self.subscription.commit(list(finished.values()))

    def process(self, message: Message) -> str:
        """Apply one record; return the outcome. Never raises for bad input or a failing
        handler; raises BusUnavailable if a retry or dead-letter publish was not acknowledged,
        and StorageUnavailable if the database did not answer."""
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
        try:
            with self.metrics.handler_timer(event.type):
                applied = self._apply(handler, event)
        except RejectedEvent as exc:
            return self._dead_letter(message, stream, event.type, "rejected", str(exc))
        except OperationalError as exc:
            # The database, not the event, failed: retrying it on a timer would only burn its
            # attempts. The worker backs off and the same record is read again.
            raise StorageUnavailable(str(exc.orig or exc)) from exc
        except Exception as exc:
            log.warning("handler for %s failed on %s: %s", event.type, event.id, exc, exc_info=True)
            return self._retry_or_dead_letter(message, stream, event, exc)
        return self._count(stream, event.type, "applied" if applied else "duplicate")

    def _apply(self, handler: Handler, event: CloudEvent) -> bool:
        with self.unit_of_work() as uow:
            if not uow.claim(self.group, event):
                return False
            handler(event, uow)
            uow.commit()
            return True

    def _retry_or_dead_letter(self, message: Message, stream: str, event: CloudEvent,
                              exc: Exception) -> str:
        attempt = int(message.header(H_ATTEMPT) or 1)
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempt >= self.max_attempts:
            return self._dead_letter(message, stream, event.type, "handler",
                                     f"failed after {attempt} attempts; last error {error}")
        delay = self.retry_backoff * 2 ** (attempt - 1)
        headers = {**message.headers, H_ATTEMPT: str(attempt + 1), H_ORIGINAL_TOPIC: stream,
                   H_NOT_BEFORE: f"{self.clock() + delay:.3f}", H_ERROR: error}
        self.publisher.publish(topics.retry_topic(stream, self.group), message.key or "",
                               message.value, headers)
        self.publisher.flush()
        return self._count(stream, event.type, "retried")

    def _dead_letter(self, message: Message, stream: str, type_: str, reason: str,
                     detail: str) -> str:
        log.warning("dead-lettering %s[%s]@%s: %s: %s", message.topic, message.partition,
                    message.offset, reason, detail)
        headers = {**message.headers, H_REASON: reason, H_DETAIL: detail[:1000],
                   H_ORIGINAL_TOPIC: stream, "x-original-partition": str(message.partition),
                   "x-original-offset": str(message.offset), "x-consumer-group": self.group,
                   "x-failed-at": f"{self.clock():.3f}"}
        self.publisher.publish(topics.dead_letter_topic(stream, self.group), message.key or "",
                               message.value, headers)
        self.publisher.flush()
        self.metrics.dead_lettered(self.group, stream, reason)
        return self._count(stream, type_, "dead_lettered")

    def _count(self, stream: str, type_: str, outcome: str) -> str:
        self.metrics.consumed(self.group, stream, type_, outcome)
        return outcome

    def report_lag(self) -> None:
        self.metrics.consumer_lag(self.group, self.subscription.lag())

    def close(self) -> None:
        self.subscription.close()
        self.publisher.close()
