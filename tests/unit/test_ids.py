"""Rows and events are named by UUIDs version 7: the time first, so new ones go to the end of
their indexes (giaitrinh_common.ids)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from giaitrinh_common.ids import RANDOM_BYTES, time_ordered_id

NOV_29 = datetime(2026, 11, 29, 1, 2, 3, 456_000, tzinfo=UTC)
NOV_29_NS = int(NOV_29.timestamp()) * 1_000_000_000 + 456_000_000


def made_at(ns: int, random: bytes = b"\x5a" * RANDOM_BYTES) -> str:
    return time_ordered_id(random_bytes=lambda n: random[:n], clock_ns=lambda: ns)


def test_an_id_is_a_uuid_of_version_7_with_the_rfc_variant():
    for random in (b"\x00" * RANDOM_BYTES, b"\xff" * RANDOM_BYTES, b"\x5a" * RANDOM_BYTES):
        parsed = uuid.UUID(made_at(NOV_29_NS, random))
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert str(parsed) == made_at(NOV_29_NS, random)  # the usual text form, lower case


def test_its_first_48_bits_are_the_milliseconds_since_1970():
    assert uuid.UUID(made_at(NOV_29_NS)).int >> 80 == NOV_29_NS // 1_000_000
    assert made_at(NOV_29_NS).startswith(f"{NOV_29_NS // 1_000_000:012x}"[:8] + "-")


def test_an_id_made_in_a_later_millisecond_sorts_after_as_text_and_as_a_uuid():
    earliest_random, latest_random = b"\xff" * RANDOM_BYTES, b"\x00" * RANDOM_BYTES
    first = made_at(NOV_29_NS, earliest_random)
    then = made_at(NOV_29_NS + 1_000_000, latest_random)
    assert first < then and uuid.UUID(first) < uuid.UUID(then)


def test_the_rest_is_74_random_bits_from_one_read():
    reads: list[int] = []

    def source(n: int) -> bytes:
        reads.append(n)
        return bytes([0b1010_1010]) * n

    value = uuid.UUID(time_ordered_id(random_bytes=source, clock_ns=lambda: NOV_29_NS)).int
    assert reads == [RANDOM_BYTES]
    rand = int.from_bytes(bytes([0b1010_1010]) * RANDOM_BYTES, "big")
    assert value >> 64 & 0xFFF == rand >> 68  # rand_a: the top 12 random bits
    assert value & ((1 << 62) - 1) == rand & ((1 << 62) - 1)  # rand_b: the low 62


def test_ids_of_one_millisecond_differ():
    ids = {time_ordered_id(clock_ns=lambda: NOV_29_NS) for _ in range(10_000)}
    assert len(ids) == 10_000
