"""The bus contract against a real Apache Kafka broker (KRaft, single node)."""
import pytest

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from tests.contracts.bus_contract import BusContract


class TestKafkaBus(BusContract):
    @pytest.fixture
    def bus(self, kafka_broker):
        bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="contract-test")
        yield bus
        bus.close()


def test_topics_are_created_once_with_the_partitions_asked_for(kafka_broker):
    bus = KafkaBus(kafka_broker.bootstrap_servers)
    bus.ensure_topics(["created.once"], 6)
    bus.ensure_topics(["created.once"], 3)  # already there: left as it is
    assert bus.list_topics()["created.once"] == 6


def test_every_topic_is_kept_forever_so_no_pending_work_expires(kafka_broker):
    """Streams are the record, dead letters wait for an operator, and a replay on a retry topic
    waits however long its group is down: nothing of the platform's expires."""
    bus = KafkaBus(kafka_broker.bootstrap_servers)
    names = topics.all_topics()
    bus.ensure_topics(names, topics.DEFAULT_PARTITIONS, topics.configs_of(names))
    for name in (topics.REQUESTS, topics.dead_letter_topic(topics.CASES, "scoring"),
                 topics.retry_topic(topics.CASES, "scoring")):
        settings = bus.topic_configs(name)
        assert (settings["retention.ms"], settings["min.insync.replicas"]) == ("-1", "1")


def test_an_existing_topic_is_brought_to_the_settings_asked_for_and_keeps_its_partitions(kafka_broker):
    bus = KafkaBus(kafka_broker.bootstrap_servers)
    bus.ensure_topics(["older.stream"], 2, {"older.stream": {"retention.ms": "3600000"}})
    assert bus.topic_configs("older.stream")["retention.ms"] == "3600000"
    bus.ensure_topics(["older.stream"], 6, {"older.stream": {"retention.ms": "-1"}})
    settings = bus.topic_configs("older.stream")
    assert settings["retention.ms"] == "-1"
    assert settings["cleanup.policy"] == "delete"  # what was not named is left alone
    assert bus.list_topics()["older.stream"] == 2


def test_an_unreachable_broker_is_reported_unavailable_not_raised():
    from giaitrinh_platform.kafka_broker import free_port

    assert KafkaBus(f"127.0.0.1:{free_port()}", connect_timeout=1).is_available(timeout=1) is False


def test_the_topics_create_command_makes_every_topic_with_its_settings(kafka_broker):
    from click.testing import CliRunner

    from giaitrinh_platform.cli import main

    result = CliRunner().invoke(main, ["topics", "create", "--kafka-bootstrap", kafka_broker.bootstrap_servers])
    assert result.exit_code == 0, result.output
    assert f"{len(topics.all_topics())} topics present" in result.output
    bus = KafkaBus(kafka_broker.bootstrap_servers)
    present = bus.list_topics()
    assert all(present[name] == topics.DEFAULT_PARTITIONS for name in topics.all_topics())
    assert bus.topic_configs(topics.SCORES)["retention.ms"] == "-1"
