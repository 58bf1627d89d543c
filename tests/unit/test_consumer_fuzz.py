"""Property-based fuzz of every consumer group with its real handlers: whatever is written to the
topics it reads — bytes that are no JSON, envelopes with hostile attributes, schema-valid events
with odd data, forged headers, the same event twice — the consumer never raises, never stops
on a partition, and accounts for every record (applied, ignored, dead-lettered, or in its
waiting room for a reason it can name).
"""
from __future__ import annotations

import dataclasses
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giaitrinh_common import contracts, topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.metrics import PlatformMetrics
from tests.support import factories, violations
from tests.support.case_history import every_step_type

GROUPS = sorted(topics.SUBSCRIPTIONS)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

ODD_TEXT = st.one_of(st.text(max_size=30),
                     st.sampled_from(["\ud800", "C\udfff", "x" * 5000, "", " ", "null", "\x00"]))
ODD_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
              st.floats(allow_nan=False), ODD_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
HEADERS = st.dictionaries(
    st.sampled_from(["x-not-before", "x-attempt", "x-attempts", "x-parked", "x-dlq-reason",
                     "ce_id", "x-original-topic"]),
    st.sampled_from(["soon", "99", "-1", "1e309", "nan", "true", "", "giaitrinh.cases.v1"]),
    max_size=3)


def _alerts_and_commitments() -> list:
    """Routing's deadline and commitment events, built by its own events_out."""
    from datetime import UTC, date, datetime

    from giaitrinh_routing.adapters import events_out
    from giaitrinh_routing.domain.commitment import Commitment
    from giaitrinh_routing.domain.deadline_watch import AlertKind, DeadlineAlert
    from tests.support.case_history import CaseHistory

    history = CaseHistory()
    now = datetime(2026, 11, 10, 2, tzinfo=UTC)
    alert = DeadlineAlert("accept", AlertKind.OVERDUE, date(2026, 11, 9), date(2026, 11, 10))
    promise = Commitment(str(uuid.uuid4()), history.case.id, history.request_id,
                         history.case.locality_code, "Cắm lại mốc", "dia-chinh", date(2026, 12, 15),
                         status="done", completed_at=now, evidence="Biên bản số 12")
    events = [events_out.deadline_alert(history.case, alert, now),
              events_out.commitment_alert(promise, "overdue", now),
              events_out.commitment_completed(promise, "u-1", "official")]
    for event in events:  # valid as routing publishes them: the fuzz then breaks them itself
        contracts.validate(event)
    return events


# A real event of every type routing publishes: registered, each step, alerts, commitments.
CASE_EVENTS = sorted([*every_step_type().values(), *_alerts_and_commitments()], key=lambda e: e.type)
# A violation.flagged of each kind, as scoring publishes it (each follows the case event that
# raised it: a consumer that never saw that event keeps the flag waiting, for that reason).
FLAGS = sorted(violations.every_kind().values(), key=lambda e: e.data["kind"])
# What routing's registry publishes for a served locality (keyed by its code, not a request).
REGISTRY_EVENT = factories.served_province("44")[0]


def valid_event(stream: str, request_id: str, case_event_index: int = 0):
    def case_event():
        event = CASE_EVENTS[case_event_index % len(CASE_EVENTS)]
        return dataclasses.replace(event, id=str(uuid.uuid4()), subject=request_id)

    return {topics.INBOUND: lambda: factories.inbound_feedback(external_id=uuid.uuid4().hex),
            topics.REQUESTS: lambda: factories.request_submitted(request_id),
            topics.CASES: case_event,
            topics.SCORES: lambda: dataclasses.replace(FLAGS[case_event_index % len(FLAGS)],
                                                       id=str(uuid.uuid4()), subject=request_id),
            topics.REGISTRY: lambda: dataclasses.replace(REGISTRY_EVENT, id=str(uuid.uuid4()))}[stream]()


@st.composite
def record(draw, streams):
    """(stream, key, value bytes, headers) as a hostile or broken sender might write it."""
    stream = draw(st.sampled_from(streams))
    request_id = draw(st.sampled_from(["r-1", str(uuid.uuid4()), str(uuid.uuid4())]))
    event = valid_event(stream, request_id, draw(st.integers(min_value=0, max_value=100)))
    body = json.loads(event.to_json())
    kind = draw(st.sampled_from(["bytes", "attribute", "data", "valid", "follows"]))
    if kind == "bytes":
        value = draw(st.one_of(st.binary(max_size=200), st.sampled_from(
            [b"[" * 5000, b'{"a":' * 3000, b"null", b"{}", b'"\\ud800"'])))
        return stream, request_id, value, draw(HEADERS)
    if kind == "attribute":
        body[draw(st.sampled_from(["id", "subject", "type", "time", "locality", "specversion",
                                   "follows", "followstype", "traceid"]))] = draw(ODD_VALUE)
    elif kind == "data":
        body["data"][draw(st.sampled_from(sorted(body["data"])))] = draw(ODD_VALUE)
    elif kind == "follows":
        body["follows"] = draw(st.sampled_from([str(uuid.uuid4()), body["id"]]))
        body["followstype"] = draw(st.sampled_from(["vn.giaitrinh.request.submitted.v1",
                                                    "vn.giaitrinh.case.registered.v1"]))
    value = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return stream, request_id, value, draw(HEADERS)


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("consumer-fuzz")
    made = {g: factories.migrated_runtime(g, f"sqlite:///{folder / g}.db", InMemoryBus())
            for g in GROUPS}
    yield made
    for runtime in made.values():
        runtime.close()


@pytest.mark.parametrize("group", GROUPS)
def test_no_record_stops_or_breaks_a_consumer(runtimes, group):
    runtime = runtimes[group]
    streams = topics.SUBSCRIPTIONS[group]

    @FUZZ
    @given(st.lists(record(streams), min_size=1, max_size=8), st.booleans())
    def check(records, twice):
        bus = InMemoryBus()
        bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
        publisher = bus.publisher()
        for stream, key, value, headers in records + (records[:2] if twice else []):
            publisher.publish(stream, key, value, headers)
        publisher.flush()
        clock = Clock()
        consumer = IdempotentConsumer(
            group=group, streams=streams, handlers=runtime.handlers(),
            unit_of_work=runtime.unit_of_work, bus=bus,
            metrics=PlatformMetrics().for_service(group), max_attempts=3, retry_backoff=1,
            clock=clock)
        for _ in range(12):  # time passes: every retry comes due and ends applied or parked
            consumer.run_once(timeout=0)
            clock.now += 60
        assert sum(consumer.subscription.lag().values()) == 0  # nothing stuck on a partition
        for waiting in consumer.waiting.listing(limit=1000):
            assert waiting.parked or (waiting.waiting_for and not runtime.storage.has_applied(
                group, waiting.waiting_for)) or waiting.why == "behind"
        consumer.close()

    check()
