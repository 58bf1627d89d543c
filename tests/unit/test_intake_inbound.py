"""Requests other systems hand over on the inbound topic become ordinary requests."""
from datetime import timedelta

import pytest

from giaitrinh_common import topics
from giaitrinh_common.envelope import CloudEvent
from tests.support.factories import case_registered, inbound_feedback, migrated_runtime
from tests.support.waiting import consume_until


@pytest.fixture
def intake(bus, sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), bus)
    yield rt
    rt.close()


def publish(bus, topic, event):
    pub = bus.publisher()
    pub.publish(topic, event.key, event.to_json())
    pub.flush()


def submitted_events(intake, bus):
    intake.worker().relay.relay_all()
    return [CloudEvent.from_json(m.value) for m in bus.records(topics.REQUESTS)]


def test_feedback_from_the_hotline_becomes_a_request_with_its_channel_and_reference(intake, bus):
    publish(bus, topics.INBOUND, inbound_feedback("HL-77", contact={"phone": "0912345678"}))
    consumer = intake.consumer()
    consume_until(consumer, lambda: intake.storage.outbox_backlog() == 1, timeout=5)
    [event] = submitted_events(intake, bus)
    assert event.data["channel"] == "hotline"
    assert event.data["external_ref"] == {"source_system": "hotline-1022", "external_id": "HL-77"}
    # The requester never saw a receipt: their secret link reaches them in the notice alone.
    assert event.data["contact"]["phone"] == "0912345678"
    assert event.data["contact"]["requester_link"].startswith("/cua-toi/")
    with intake.unit_of_work() as uow:
        assert uow.requests.by_tracking_code(event.data["tracking_code"]).channel.value == "hotline"


def test_the_same_item_sent_twice_by_another_system_makes_one_request(intake, bus):
    publish(bus, topics.INBOUND, inbound_feedback("HL-78"))
    publish(bus, topics.INBOUND, inbound_feedback("HL-78"))  # a new event id, the same item
    consumer = intake.consumer()
    registry = intake.platform_metrics.registry
    consume_until(consumer, lambda: registry.get_sample_value(
        "giaitrinh_events_consumed_total",
        {"service": "intake", "group": "intake", "topic": topics.INBOUND,
         "type": "vn.giaitrinh.inbound.feedback.v1", "outcome": "applied"}) == 2, timeout=5)
    assert len(submitted_events(intake, bus)) == 1


def test_feedback_for_a_locality_not_served_is_dead_lettered_with_the_reason(intake, bus):
    publish(bus, topics.INBOUND, inbound_feedback("HL-79", locality_code="26734"))  # not Quảng Trị
    consumer = intake.consumer()
    dlq = topics.dead_letter_topic(topics.INBOUND, "intake")
    consume_until(consumer, lambda: bus.records(dlq), timeout=5)
    [dead] = bus.records(dlq)
    assert dead.header("x-dlq-reason") == "rejected"
    assert "commune/ward code" in dead.header("x-dlq-detail")
    assert bus.records(topics.retry_topic(topics.INBOUND, "intake")) == []


def test_a_registered_case_appears_once_on_the_public_timeline(intake, bus):
    from giaitrinh_intake.domain.commands import SubmitRequest

    receipt = intake.submit(SubmitRequest(kind="feedback", channel="api", field="land",
                                          locality_code="18880", title="t", content="c"))
    registered_at = (receipt.submitted_at + timedelta(minutes=5)).isoformat()
    event = case_registered(receipt.request_id, registered_at=registered_at)
    publish(bus, topics.CASES, event)
    publish(bus, topics.CASES, event)
    consumer = intake.consumer()
    consume_until(consumer, lambda: not sum(consumer.subscription.lag().values()), timeout=5)
    with intake.unit_of_work() as uow:
        steps = [e.step for e in uow.requests.get(receipt.request_id).timeline]
    assert steps == ["submitted", "registered"]
