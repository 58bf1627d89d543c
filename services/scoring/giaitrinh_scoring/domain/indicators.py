"""Chỉ số — the raw counts the criteria set is computed from.

An indicator value belongs to a locality and an evaluation period (the calendar year in
Asia/Ho_Chi_Minh, the period of the annual evaluation).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has had no DST since 1975

REQUESTS_RECEIVED = "requests_received"  # số yêu cầu, phản ánh đã tiếp nhận
CASES_REGISTERED = "cases_registered"  # số hồ sơ đã vào sổ

# Which event moves which indicator, by one.
COUNTED_BY_EVENT = {
    "vn.giaitrinh.request.submitted.v1": REQUESTS_RECEIVED,
    "vn.giaitrinh.case.registered.v1": CASES_REGISTERED,
}


def period_of(moment: datetime) -> str:
    """The evaluation period (kỳ đánh giá) a moment falls in: its year in Vietnam."""
    return str(moment.astimezone(VIETNAM).year)
