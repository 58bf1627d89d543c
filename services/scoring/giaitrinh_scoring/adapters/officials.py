"""Scoring's copy of who the staff accounts are (routing's account.changed): their names, so
an official is shown by name, not only by account id. On the unit of work's session."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_scoring.adapters.orm import officials
from giaitrinh_scoring.adapters.stored import keep_latest


class SqlOfficials:
    def __init__(self, session: Session):
        self.session = session

    def apply_account(self, d: dict[str, Any]) -> bool:
        """Keep an account as ``account.changed`` tells it (the latest event for an account
        replaces everything before it) unless a newer state is kept (then False): an older
        event arriving late — a replay, a released waiting one — brings no old name back; the
        same event twice writes the same row again. The contact (email, phone) is not kept:
        scoring has no use for it."""
        return keep_latest(self.session, officials, {"account_id": d["account_id"]},
                           {"name": d.get("name", ""), "unit_code": d.get("unit_code"),
                            "localities": sorted(d.get("localities", []))}, d["changed_at"])

    def names(self, account_ids: Iterable[str | None]) -> dict[str, str]:
        """The known names of ``account_ids`` (an account no event told of yet is absent)."""
        wanted = sorted({a for a in account_ids if a})
        if not wanted:
            return {}
        rows = self.session.execute(sa.select(officials.c.account_id, officials.c.name)
                                    .where(officials.c.account_id.in_(wanted)))
        return {account_id: name for account_id, name in rows}
