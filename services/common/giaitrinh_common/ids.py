"""Identifiers of stored rows and events that arrive in the order they are made.

A random UUID (version 4) lands anywhere in an index: every new request, case or event touched a
different page of each index keyed by it, and each commit wrote those pages out again (in SQLite's
write-ahead log, in PostgreSQL's). :func:`time_ordered_id` makes a UUID version 7 (RFC 9562): the
Unix time in milliseconds first, then random bits, so new rows land at the end of their indexes,
beside the last ones. Ids made in different milliseconds sort in the order they were made;
within one millisecond, in random order.

They are names, not secrets: what must not be guessed (a tracking code, the requester's secret
link, an answer file's key) stays wholly random and is made elsewhere. The 74 random bits still
keep two ids of one millisecond apart.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from giaitrinh_common import randomness

RANDOM_BYTES = 10  # 80 bits read once; 74 of them used (12 + 62), the rest are version and variant


def time_ordered_id(random_bytes: Callable[[int], bytes] = randomness.token_bytes,
                    clock_ns: Callable[[], int] = time.time_ns) -> str:
    """A new UUID version 7 as text (``0192e3a4-5b6c-7…``): 48 bits of milliseconds since 1970,
    the version (7), 12 random bits, the RFC variant (``10``), 62 random bits."""
    millis = clock_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF
    rand = int.from_bytes(random_bytes(RANDOM_BYTES), "big")
    value = millis << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
