"""Mã tra cứu — the tracking code a requester uses to follow a request.

``GT-XXXX-XXXX-C``: eight random Crockford base-32 symbols (no I, L, O, U: nothing to misread
on a phone) and a check symbol (Luhn mod 32) that catches any single mistyped symbol and any
swap of two neighbours but 0↔Z (Luhn's one blind pair).
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PATTERN = re.compile(r"^GT-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z])$")


def _check_symbol(body: str) -> str:
    n = len(ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        doubled = factor * ALPHABET.index(ch)
        total += doubled // n + doubled % n
        factor = 3 - factor
    return ALPHABET[(n - total % n) % n]


def new_tracking_code(randbelow=secrets.randbelow) -> str:
    body = "".join(ALPHABET[randbelow(32)] for _ in range(8))
    return f"GT-{body[:4]}-{body[4:]}-{_check_symbol(body)}"


def normalise(code: str) -> str:
    """Upper-case, trimmed, with the look-alikes people type mapped back (O→0, I/L→1)."""
    return code.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def is_valid_tracking_code(code: str) -> bool:
    match = _PATTERN.match(code)
    if not match:
        return False
    body = match.group(1) + match.group(2)
    return _check_symbol(body) == match.group(3)
