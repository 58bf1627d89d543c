"""Which communes and wards exist: the official list after the 2025 reorganisation, shipped in
``vietnam-provinces`` (the same reference data routing registers localities from)."""
from __future__ import annotations

from vietnam_provinces import WardCode


def names_a_commune_or_ward(code: str) -> bool:
    """Whether ``code``, written as the platform writes locality codes (decimal digits, no
    leading zero, e.g. ``18880``), is the code of a commune or ward."""
    if not (code.isascii() and code.isdigit()) or code.startswith("0") or len(code) > 6:
        return False
    try:
        WardCode(int(code))
    except ValueError:
        return False
    return True
