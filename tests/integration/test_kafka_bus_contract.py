"""The bus contract against a real Apache Kafka broker (KRaft, single node)."""
import pytest

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


def test_an_unreachable_broker_is_reported_unavailable_not_raised():
    from giaitrinh_platform.kafka_broker import free_port

    assert KafkaBus(f"127.0.0.1:{free_port()}", connect_timeout=1).is_available(timeout=1) is False
