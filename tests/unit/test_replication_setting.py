"""GIAITRINH_REPLICATION_FACTOR: one setting for the local run (1) and the shared cluster (3),
with min.insync.replicas derived from it. The cluster side is checked in test_compose_file.py,
the broker side in tests/integration/test_replication_factor_kafka.py."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from giaitrinh_common import topics
from giaitrinh_common.settings import SettingError
from giaitrinh_platform.cli import main
from giaitrinh_platform.services import SERVICES


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_replicates_once_unless_the_deployment_says_otherwise(service):
    assert SERVICES[service].settings({}).replication_factor == 1
    assert SERVICES[service].settings({"GIAITRINH_REPLICATION_FACTOR": "3"}).replication_factor == 3


@pytest.mark.parametrize("value", ["0", "-1", "three", "2.5"])
def test_a_replication_factor_that_is_not_a_whole_number_of_one_or_more_is_refused(value):
    with pytest.raises(SettingError, match="GIAITRINH_REPLICATION_FACTOR"):
        SERVICES["intake"].settings({"GIAITRINH_REPLICATION_FACTOR": value})


def test_a_write_must_reach_all_copies_but_one_and_at_least_one():
    assert [topics.min_insync_replicas(factor) for factor in (1, 2, 3, 5)] == [1, 1, 2, 4]
    for factor in (1, 2, 3, 5):
        assert topics.config_of(topics.REQUESTS, factor)["min.insync.replicas"] == str(
            topics.min_insync_replicas(factor))


def test_giaitrinh_up_refuses_a_factor_its_one_local_broker_cannot_hold(tmp_path):
    # PATH is emptied so that, were the check missing, `up` would fail at once looking for
    # Maven instead of starting a broker.
    result = CliRunner().invoke(main, ["up", "--data-dir", str(tmp_path)],
                                env={"GIAITRINH_REPLICATION_FACTOR": "3", "GIAITRINH_KAFKA_BOOTSTRAP": None,
                                     "PATH": ""})
    assert result.exit_code == 1
    assert "GIAITRINH_REPLICATION_FACTOR=3 needs a cluster of 3 brokers" in result.output
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


def test_topics_create_refuses_a_factor_below_one_before_dialling_kafka():
    result = CliRunner().invoke(main, ["topics", "create", "--kafka-bootstrap", "127.0.0.1:1"],
                                env={"GIAITRINH_REPLICATION_FACTOR": "0"})
    assert result.exit_code == 1
    assert "GIAITRINH_REPLICATION_FACTOR must be 1 or more" in result.output
