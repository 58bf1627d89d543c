"""Which communes and wards exist: the official list after the 2025 reorganisation, shipped in
``vietnam-provinces`` (the same reference data routing registers localities from)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from vietnam_provinces import WardCode

from giaitrinh_scoring.adapters.orm import localities
from giaitrinh_scoring.adapters.stored import keep_latest


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


class SqlRegistry:
    """Scoring's copy of routing's registry of localities, on the unit of work's session."""

    def __init__(self, session: Session):
        self.session = session

    def apply_locality(self, d: dict[str, Any]) -> bool:
        """Store a ``locality.changed`` unless a newer state is stored (then False)."""
        return keep_latest(self.session, localities, {"code": d["locality_code"]},
                           {"name": d["name"], "province_code": d["province_code"], "served": d["served"],
                            "units": d["units"]}, d["changed_at"])

    def unit_names(self, code: str) -> dict[str, str]:
        """The units of a locality by code, with their names (empty for a locality not known)."""
        units = self.session.execute(sa.select(localities.c.units).where(localities.c.code == code)).scalar()
        return {u["code"]: u["name"] for u in units or ()}

    def served(self) -> list[dict[str, Any]]:
        """The served localities with their units, in code order."""
        rows = self.session.execute(sa.select(localities).where(localities.c.served)
                                    .order_by(localities.c.code)).mappings().all()
        return [dict(r) for r in rows]
