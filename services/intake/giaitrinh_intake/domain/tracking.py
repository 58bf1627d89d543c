"""Issuing mã tra cứu — the tracking code a requester uses to follow a request.

The code's form (``GT-XXXX-XXXX-C``: Crockford base-32 symbols and a Luhn mod 32 check symbol)
is the platform's shared contract, in :mod:`giaitrinh_common.tracking_codes`: notify's inbox reads
the codes intake issues, and must accept, normalise and explain them exactly as intake does,
without importing intake. That module is pure standard library, the one shared module intake's
domain may import. Intake's domain owns the issuing: eight random symbols from a secure source.
"""
from __future__ import annotations

import secrets

from giaitrinh_common.tracking_codes import (
    ALPHABET,
    CodeFault,
    compose,
    fault_of,
    is_valid_tracking_code,
    normalise,
)

__all__ = ["ALPHABET", "CodeFault", "fault_of", "is_valid_tracking_code", "new_tracking_code", "normalise"]


def new_tracking_code(randbelow=secrets.randbelow) -> str:
    """A fresh code: 32^8 possible bodies, so guessing another requester's is hopeless."""
    return compose("".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(8)))
