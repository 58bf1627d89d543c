"""The unit tier's bus: the in-memory one, with every topic of the platform."""
import pytest

from giaitrinh_common import topics
from giaitrinh_common.bus import InMemoryBus


@pytest.fixture
def bus() -> InMemoryBus:
    bus = InMemoryBus()
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    return bus
