"""The contract of the bus port. InMemoryBus (tests/unit) and KafkaBus (tests/integration)
both run it by subclassing, so the fake is proven to behave like the real broker."""
from __future__ import annotations

import time
import uuid

import pytest

from giaitrinh_common.bus import MessageBus


def _drain(sub, want: int, timeout: float = 20.0) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got += sub.poll(timeout=0.5)
    return got


class BusContract:
    """Subclasses provide a ``bus`` fixture returning a MessageBus."""

    @pytest.fixture
    def topic(self, bus: MessageBus) -> str:
        name = f"contract.{uuid.uuid4().hex[:8]}"
        bus.ensure_topics([name], 3)
        return name

    def publish(self, bus, topic, items):
        pub = bus.publisher()
        for key, value in items:
            pub.publish(topic, key, value, {"h": "v"})
        pub.flush()
        pub.close()

    def test_records_of_one_key_arrive_in_the_order_they_were_published(self, bus, topic):
        self.publish(bus, topic, [("req-1", f"{i}".encode()) for i in range(20)])
        sub = bus.subscribe("g-order", [topic])
        got = _drain(sub, 20)
        sub.close()
        assert [m.value for m in got if m.key == "req-1"] == [f"{i}".encode() for i in range(20)]
        assert len({m.partition for m in got}) == 1
        assert got[0].header("h") == "v"

    def test_a_new_member_of_the_group_resumes_after_the_committed_offset(self, bus, topic):
        self.publish(bus, topic, [("k", b"a"), ("k", b"b"), ("k", b"c")])
        first = bus.subscribe("g-resume", [topic])
        got = _drain(first, 3)
        first.commit([got[0]])  # only "a" is done
        first.close()
        second = bus.subscribe("g-resume", [topic])
        again = _drain(second, 2)
        second.close()
        assert [m.value for m in again] == [b"b", b"c"]

    def test_another_group_reads_everything_from_the_beginning(self, bus, topic):
        self.publish(bus, topic, [("k", b"a"), ("k", b"b")])
        one = bus.subscribe("g-one", [topic])
        one.commit(_drain(one, 2))
        one.close()
        other = bus.subscribe("g-other", [topic])
        assert [m.value for m in _drain(other, 2)] == [b"a", b"b"]
        other.close()

    def test_one_commit_covers_every_partition_and_the_highest_offset_of_each(self, bus, topic):
        items = [(f"key-{i}", f"{i}".encode()) for i in range(30)]
        self.publish(bus, topic, items)
        first = bus.subscribe("g-many", [topic])
        got = _drain(first, 30)
        assert len({m.partition for m in got}) > 1
        first.commit(reversed(got))  # order does not matter: the highest offset counts
        first.close()
        self.publish(bus, topic, [("key-0", b"after")])
        second = bus.subscribe("g-many", [topic])
        assert [m.value for m in _drain(second, 1)] == [b"after"]
        assert second.poll(timeout=0.5) == []
        second.close()

    def test_a_rewound_record_comes_back_with_the_rest_of_its_partition(self, bus, topic):
        self.publish(bus, topic, [("k", b"1"), ("k", b"2"), ("k", b"3")])
        sub = bus.subscribe("g-rewind", [topic])
        got = _drain(sub, 3)
        sub.rewind(got[1])
        again = _drain(sub, 2, timeout=10)
        sub.close()
        assert [m.value for m in again] == [b"2", b"3"]
        assert again[0].offset == got[1].offset

    def test_lag_counts_what_is_not_committed_however_far_the_member_has_read(self, bus, topic):
        self.publish(bus, topic, [("k", b"1"), ("k", b"2"), ("k", b"3")])
        sub = bus.subscribe("g-lag", [topic])
        got = _drain(sub, 3)
        assert sum(sub.lag().values()) == 3  # read, not done: all three still wait
        sub.commit([got[0]])
        assert sum(sub.lag().values()) == 2
        sub.close()

    def test_unread_counts_what_the_member_has_not_read_committed_or_not(self, bus, topic):
        self.publish(bus, topic, [("k", b"1"), ("k", b"2"), ("k", b"3")])
        sub = bus.subscribe("g-unread", [topic])
        got = _drain(sub, 3)
        assert sum(sub.unread().values()) == 0 and sum(sub.lag().values()) == 3  # read, none committed
        sub.rewind(got[1])
        assert sum(sub.unread().values()) == 2
        sub.close()

    def test_a_member_knows_which_partitions_it_reads(self, bus, topic):
        self.publish(bus, topic, [("k", b"1")])
        sub = bus.subscribe("g-assigned", [topic])
        _drain(sub, 1)
        assert sub.assigned() == {(topic, p) for p in range(3)}
        sub.close()

    def test_the_bus_reports_itself_available(self, bus):
        assert bus.is_available() is True
