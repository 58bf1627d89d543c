"""Issuing mã tra cứu — the tracking code a requester uses to follow a request.

The code's form (``GT-XXXX-XXXX-C``: Crockford base-32 symbols and a Luhn mod 32 check symbol)
is the platform's shared contract, in :mod:`giaitrinh_common.tracking_codes`: notify's inbox reads
the codes intake issues, and must accept, normalise and explain them exactly as intake does,
without importing intake. That module is pure standard library, one of the few shared modules
intake's domain may import. Intake's domain owns the issuing: eight random symbols from a secure source.
"""
from __future__ import annotations

from giaitrinh_common import randomness
from giaitrinh_common.tracking_codes import (
    ALPHABET,
    CodeFault,
    compose,
    fault_of,
    is_valid_tracking_code,
    normalise,
)

__all__ = ["ALPHABET", "CodeFault", "fault_of", "is_valid_tracking_code", "new_tracking_code", "normalise"]


BODY_SYMBOLS = 8
_BITS = 5  # one symbol of the 32: the eight symbols are exactly 40 random bits, five bytes


def new_tracking_code(random_bytes=randomness.token_bytes) -> str:
    """A fresh code: 32^8 possible bodies, so guessing another requester's is hopeless.

    The body is five bytes of the platform's secure source (:mod:`giaitrinh_common.randomness`)
    read at once, cut into eight five-bit symbols: every body equally likely, as eight draws of
    one symbol each would give, but with one read instead of one or more per symbol
    (bench/README.md "the tracking code in one read")."""
    bits = int.from_bytes(random_bytes(BODY_SYMBOLS * _BITS // 8), "big")
    symbols = (ALPHABET[(bits >> (_BITS * i)) & 0b11111] for i in reversed(range(BODY_SYMBOLS)))
    return compose("".join(symbols))
