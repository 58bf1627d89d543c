"""Mã tra cứu — the form of the tracking code a requester uses to follow a request.

``GT-XXXX-XXXX-C``: eight Crockford base-32 symbols (no I, L, O, U: nothing to misread on a
phone) and a check symbol (Luhn mod 32) that catches any single mistyped symbol and any swap
of two neighbours but 0↔Z (Luhn's one blind pair).

The form is part of the platform's public contract (the event schemas carry its pattern):
intake issues codes of this form, and every service that takes a code from a person — intake's
lookup, notify's inbox — reads it with these functions, so all of them accept, normalise and
explain a mistyped code the same way. Pure standard library on purpose: intake's domain issues
codes with :func:`compose` (the one import its domain makes from the shared package).
"""
from __future__ import annotations

import re
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"GT-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z])")
FORM = "GT-XXXX-XXXX-X"
# Longer than any code a person could mean, even with stray spaces: longer input is not read.
LONGEST_INPUT = 64


class CodeFault(StrEnum):
    """Why a code was not accepted, so the person can be told what to look at."""

    MALFORMED = "malformed"  # not of the form GT-XXXX-XXXX-X
    WRONG_CHECK_SYMBOL = "wrong_check_symbol"  # of the form, but a symbol was mistyped


def check_symbol(body: str) -> str:
    """The check symbol of the eight symbols ``body`` (Luhn mod 32)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        doubled = factor * ALPHABET.index(ch)
        total += doubled // n + doubled % n
        factor = 3 - factor
    return ALPHABET[(n - total % n) % n]


def compose(body: str) -> str:
    """The tracking code of eight symbols: grouped, with its check symbol."""
    return f"GT-{body[:4]}-{body[4:]}-{check_symbol(body)}"


def normalise(code: str) -> str:
    """Upper-case, trimmed, with the look-alikes people type mapped back (O→0, I/L→1)."""
    return code.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def fault_of(code: str) -> CodeFault | None:
    """None if ``code`` (already normalised) is a well-formed tracking code, else why not."""
    match = PATTERN.fullmatch(code) if len(code) <= LONGEST_INPUT else None
    if not match:
        return CodeFault.MALFORMED
    if check_symbol(match.group(1) + match.group(2)) != match.group(3):
        return CodeFault.WRONG_CHECK_SYMBOL
    return None


def is_valid_tracking_code(code: str) -> bool:
    return fault_of(code) is None
