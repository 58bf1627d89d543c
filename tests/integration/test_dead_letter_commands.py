"""`giaitrinh <service> dead-letters` and `replay-dead-letters` against a real broker: an
operator sees why an event was parked, fixes the cause, and sends it back."""
import json
import uuid

from click.testing import CliRunner

from giaitrinh_common import topics
from giaitrinh_common.consumer import RejectedEvent
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_platform.cli import main
from tests.support import factories
from tests.support.waiting import consume_until

SUBMITTED = "vn.giaitrinh.request.submitted.v1"


def test_an_operator_lists_a_parked_event_and_replays_it_after_the_fix(kafka_broker, postgres_url):
    bootstrap = kafka_broker.bootstrap_servers
    bus = KafkaBus(bootstrap, client_id="dlq-commands-test")
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    runtime = factories.migrated_runtime("scoring", postgres_url, bus)
    event = factories.request_submitted(title=f"Cầu hỏng {uuid.uuid4().hex[:6]}")
    publisher = bus.publisher()
    publisher.publish(topics.REQUESTS, event.key, event.to_json())
    publisher.flush()
    publisher.close()

    consumer = runtime.consumer()
    fixed = False
    applied: list[str] = []
    count = consumer.handlers[SUBMITTED]

    def refuse_until_fixed(ev, uow):
        if ev.id == event.id and not fixed:
            raise RejectedEvent("locality 18880 not yet configured for scoring")
        count(ev, uow)
        applied.append(ev.id)

    consumer.handlers[SUBMITTED] = refuse_until_fixed
    registry = runtime.platform_metrics.registry
    rejected = {"service": "scoring", "group": "scoring", "topic": topics.REQUESTS,
                "reason": "rejected"}
    try:
        consume_until(consumer, lambda: registry.get_sample_value(
            "giaitrinh_events_dead_lettered_total", rejected), what="scoring parking the event")

        runner = CliRunner()
        listed = runner.invoke(main, ["scoring", "dead-letters", "--reason", "rejected", "--json",
                                      "--limit", "1000", "--kafka-bootstrap", bootstrap])
        assert listed.exit_code == 0, listed.output
        ours = [row for line in listed.output.splitlines() if (row := json.loads(line))["id"] == event.id]
        assert [(r["reason"], r["type"]) for r in ours] == [("rejected", SUBMITTED)]
        assert "not yet configured" in ours[0]["detail"]

        fixed = True  # the cause is fixed: the handler accepts the event now
        replayed = runner.invoke(main, ["scoring", "replay-dead-letters", "--reason", "rejected",
                                        "--stream", topics.REQUESTS, "--yes",
                                        "--kafka-bootstrap", bootstrap])
        assert replayed.exit_code == 0, replayed.output
        assert "sent back to scoring" in replayed.output
        consume_until(consumer, lambda: event.id in applied, what="scoring applying the replay")
    finally:
        consumer.close()
        runtime.close()
    assert applied.count(event.id) == 1


def test_listing_dead_letters_of_an_unreachable_broker_says_so():
    result = CliRunner().invoke(main, ["routing", "dead-letters", "--kafka-bootstrap", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "Kafka 127.0.0.1:1" in result.output
