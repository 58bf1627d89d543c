import pytest

from giaitrinh_common.bus import BusUnavailable, InMemoryBus
from tests.contracts.bus_contract import BusContract


class TestInMemoryBus(BusContract):
    @pytest.fixture
    def bus(self):
        return InMemoryBus()


def test_a_switched_off_bus_refuses_to_flush_and_keeps_nothing():
    bus = InMemoryBus()
    bus.available = False
    pub = bus.publisher()
    pub.publish("t", "k", b"v")
    with pytest.raises(BusUnavailable):
        pub.flush()
    assert bus.records("t") == []
