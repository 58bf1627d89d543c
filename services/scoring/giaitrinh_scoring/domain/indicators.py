"""Chỉ số — the raw counts the criteria set is computed from.

An indicator value belongs to a locality and an evaluation period (the calendar year in
Asia/Ho_Chi_Minh, the period of the annual evaluation). Every count moves by one per event
(the sum of the stars by the event's stars), so the figures are a sum over the events of a
period: they do not depend on the order the events arrive in, and a rebuild from offset 0
gives the numbers the incremental path gave.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

VIETNAM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has had no DST since 1975

REQUESTS_RECEIVED = "requests_received"  # số yêu cầu, phản ánh đã tiếp nhận
CASES_REGISTERED = "cases_registered"  # số hồ sơ đã vào sổ
CASES_ACCEPTED = "cases_accepted"  # số hồ sơ đã thụ lý
CASES_ACCEPTED_LATE = "cases_accepted_late"  # thụ lý quá hạn (Điều 12 NĐ 59/2019)
CASES_REFUSED = "cases_refused"  # số hồ sơ từ chối
CASE_TRANSFERS = "case_transfers"  # số lần chuyển đơn vị — each transfer: repeated ones are đùn đẩy
CASES_EXTENDED = "cases_extended"  # số hồ sơ gia hạn (Điều 13)
CASES_ANSWERED = "cases_answered"  # số lần giải trình — again after an upheld dispute
CASES_ANSWERED_LATE = "cases_answered_late"  # giải trình quá hạn (chậm giải trình)
DISPUTES_UPHELD = "disputes_upheld"  # ý kiến không đồng ý được giám sát chấp nhận
CASES_WITHDRAWN = "cases_withdrawn"  # số yêu cầu bị rút
COMMITMENTS_COMPLETED = "commitments_completed"  # cam kết sau giải trình đã hoàn thành
COMMITMENTS_COMPLETED_LATE = "commitments_completed_late"  # hoàn thành sau hạn đã cam kết
COMMITMENTS_OVERDUE = "commitments_overdue"  # cam kết quá hạn chưa hoàn thành (flagged once each)
# Số vi phạm bị gắn cờ: each violation flag once, in the period of the earliest event that told
# of it (domain/violations.py), however many events tell of it and in whatever order.
VIOLATIONS_FLAGGED = "violations_flagged"
# Mức độ hài lòng: the ratings the requesters and joiners gave the answers (request.rated), and
# their stars added up, so that the mean satisfaction is ratings_sum / ratings_count and two
# periods, or two localities, add up without keeping every rating.
RATINGS_COUNT = "ratings_count"
RATINGS_SUM = "ratings_sum"

Condition = Callable[[Mapping[str, Any]], bool]


def data_is(name: str, value: Any) -> Condition:
    """The event's top-level ``data[name]`` is exactly ``value``."""
    return lambda data: data.get(name) == value


def always(data: Mapping[str, Any]) -> bool:
    return True


def detail_is(name: str, value: Any) -> Condition:
    """The event's ``details[name]`` is exactly ``value`` (a missing detail never matches)."""
    return lambda data: name in (data.get("details") or {}) and data["details"][name] == value


def _case(step: str) -> str:
    return f"vn.giaitrinh.case.{step}.v1"


# Which event moves which indicators, by one each, and on what condition of its data. The one
# table: the handler and the consumer's subscription both read it.
MOVES: dict[str, tuple[tuple[str, Condition], ...]] = {
    "vn.giaitrinh.request.submitted.v1": ((REQUESTS_RECEIVED, always),),
    _case("registered"): ((CASES_REGISTERED, always),),
    _case("accepted"): ((CASES_ACCEPTED, always),
                        (CASES_ACCEPTED_LATE, detail_is("accepted_on_time", False))),
    _case("refused"): ((CASES_REFUSED, always),),
    _case("transferred"): ((CASE_TRANSFERS, always),),
    _case("extended"): ((CASES_EXTENDED, always),),
    _case("answered"): ((CASES_ANSWERED, always),
                        (CASES_ANSWERED_LATE, detail_is("on_time", False))),
    _case("dispute_decided"): ((DISPUTES_UPHELD, detail_is("outcome", "upheld")),),
    _case("withdrawn"): ((CASES_WITHDRAWN, always),),
    "vn.giaitrinh.commitment.completed.v1": ((COMMITMENTS_COMPLETED, always),
                                             (COMMITMENTS_COMPLETED_LATE, data_is("on_time", False))),
    "vn.giaitrinh.commitment.alert.v1": ((COMMITMENTS_OVERDUE, data_is("kind", "overdue")),),
    "vn.giaitrinh.request.rated.v1": ((RATINGS_COUNT, always),),
}

# The indicators that move by an amount the event carries rather than by one.
AMOUNTS: dict[str, tuple[tuple[str, Callable[[Mapping[str, Any]], int]], ...]] = {
    "vn.giaitrinh.request.rated.v1": ((RATINGS_SUM, lambda data: int(data["rating"])),),
}


def indicators_moved(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The indicators one event of ``event_type`` with ``data`` adds one to."""
    return [indicator for indicator, applies in MOVES.get(event_type, ()) if applies(data)]


def indicator_moves(event_type: str, data: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Each indicator one event of ``event_type`` with ``data`` moves, and by how much."""
    return ([(indicator, 1) for indicator in indicators_moved(event_type, data)]
            + [(indicator, amount(data)) for indicator, amount in AMOUNTS.get(event_type, ())])


def period_of(moment: datetime) -> str:
    """The evaluation period (kỳ đánh giá) a moment falls in: its year in Vietnam."""
    return str(moment.astimezone(VIETNAM).year)
