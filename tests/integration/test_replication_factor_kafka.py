"""GIAITRINH_REPLICATION_FACTOR reaches the broker: `giaitrinh topics create` makes every topic
with that many copies and the min.insync.replicas derived from it, and a factor the cluster
cannot hold fails the command instead of leaving the platform without its topics.

The test broker is a single node, so the factor it can hold is 1; the shared deployment's
three-node cluster (factor 3, min.insync.replicas 2) is checked from docker-compose.yml in
tests/unit/test_compose_file.py."""
from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from kafka import KafkaAdminClient

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_platform.cli import main
from giaitrinh_platform.supervisor import TopicsMissing, create_topics

pytestmark = pytest.mark.integration


def replicas_per_partition(bootstrap: str, names: list[str]) -> set[int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        return {len(p["replica_nodes"]) for d in admin.describe_topics(names) for p in d["partitions"]}
    finally:
        admin.close()


def test_topics_create_gives_every_topic_the_replication_and_min_insync_of_the_setting(kafka_broker):
    bootstrap = kafka_broker.bootstrap_servers
    result = CliRunner().invoke(main, ["topics", "create", "--kafka-bootstrap", bootstrap],
                                env={"GIAITRINH_REPLICATION_FACTOR": "1"})
    assert result.exit_code == 0, result.output
    assert "replication factor 1, min.insync.replicas 1" in result.output
    names = topics.all_topics()
    assert replicas_per_partition(bootstrap, names) == {1}
    bus = KafkaBus(bootstrap)
    assert {bus.topic_configs(name)["min.insync.replicas"] for name in names} == {"1"}


def test_a_replication_factor_above_the_number_of_brokers_fails_and_names_the_topics(kafka_broker):
    name = f"replicated.{uuid.uuid4().hex[:8]}"
    with pytest.raises(TopicsMissing, match=rf"replication factor 2 .*{name}"):
        create_topics(kafka_broker.bootstrap_servers, 3, 2, names=[name])
    assert name not in KafkaBus(kafka_broker.bootstrap_servers).list_topics()
