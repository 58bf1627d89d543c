"""Thông báo — what a requester is told, and when. Templates are Vietnamese first, English second.

Decree 59/2019/NĐ-CP requires a written notice to the requester at the steps of the procedure:
receipt, acceptance (with the explanation's deadline, Art. 12), refusal (with its ground and
reason, pointing to the competent agency for another agency's matter, Art. 12), extension (with
the new deadline and the reason, Art. 13), the explanation (Art. 13), and the end. Every type of
the streams notify reads is either in :data:`NOTICES` or in :data:`NO_NOTICE` with the reason:
a new case event cannot go untold by accident (tests/unit/test_notices.py).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Notification:
    """One in-app message to the holder of a tracking code (hộp thư trên cổng). ``step`` is the
    case's version the message tells of (0 for receipt and registration): a step repeated later
    in the case (a second explanation after an upheld dispute) is a message of its own."""

    request_id: str
    tracking_code: str
    topic: str  # what it is about: "received", "registered", "accepted", ...
    title: str
    body: str
    created_at: datetime
    step: int = 0
    title_en: str = ""
    body_en: str = ""


@dataclass(frozen=True)
class Text:
    title_vi: str
    body_vi: str
    title_en: str
    body_en: str


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _vi_day(value: Any) -> str:
    day = date.fromisoformat(str(value))
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _en_day(value: Any) -> str:
    day = date.fromisoformat(str(value))
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _reason(d: Mapping[str, Any], vi: str = " Lý do: ", en: str = " Reason: ") -> tuple[str, str]:
    reason = str(d.get("reason") or "").strip()
    return (f"{vi}{reason}", f"{en}{reason}") if reason else ("", "")


# Căn cứ từ chối in words (Decree 59/2019: Art. 4 who may request, Art. 5 cases not explained,
# Art. 6 content not explained), as routing names them.
REFUSAL_GROUNDS: dict[str, tuple[str, str]] = {
    "not_directly_affected": (
        "người yêu cầu không đủ điều kiện yêu cầu giải trình (Điều 4 Nghị định 59/2019/NĐ-CP)",
        "the requester does not meet the conditions to request an explanation "
        "(Decree 59/2019/NĐ-CP, Art. 4)"),
    "state_or_business_secret": (
        "nội dung thuộc bí mật nhà nước, bí mật kinh doanh hoặc bí mật đời tư "
        "(Điều 6 Nghị định 59/2019/NĐ-CP)",
        "the content is a state, business or personal secret (Decree 59/2019/NĐ-CP, Art. 6)"),
    "internal_direction": (
        "nội dung thuộc văn bản chỉ đạo, điều hành nội bộ (Điều 6 Nghị định 59/2019/NĐ-CP)",
        "the content concerns internal direction and management documents "
        "(Decree 59/2019/NĐ-CP, Art. 6)"),
    "already_explained": (
        "nội dung đã được giải trình, không có lý do mới (Điều 5 Nghị định 59/2019/NĐ-CP)",
        "the matter was already explained and no new reason was given "
        "(Decree 59/2019/NĐ-CP, Art. 5)"),
    "being_handled": (
        "nội dung đang được xem xét, giải quyết (Điều 5 Nghị định 59/2019/NĐ-CP)",
        "the matter is already being considered and handled (Decree 59/2019/NĐ-CP, Art. 5)"),
    "requester_conduct": (
        "người yêu cầu say rượu, gây rối hoặc xúc phạm khi yêu cầu "
        "(Điều 5 Nghị định 59/2019/NĐ-CP)",
        "the request was made while intoxicated, disruptive or insulting "
        "(Decree 59/2019/NĐ-CP, Art. 5)"),
    "invalid_representative": (
        "người đại diện không có giấy tờ hợp lệ (Điều 5 Nghị định 59/2019/NĐ-CP)",
        "the representative has no valid papers (Decree 59/2019/NĐ-CP, Art. 5)"),
    "other_agency": (
        "nội dung thuộc thẩm quyền của cơ quan khác",
        "the matter belongs to another agency"),
}


def _received(code: str, d: Mapping[str, Any]) -> Text:
    return Text("Đã tiếp nhận yêu cầu",
                f"Yêu cầu của bạn đã được tiếp nhận. Mã tra cứu: {code}. "
                "Bạn có thể theo dõi tiến độ xử lý bằng mã này.",
                "Request received",
                f"Your request has been received. Tracking code: {code}. "
                "Use this code to follow its progress.")


def _registered(code: str, d: Mapping[str, Any]) -> Text:
    return Text("Hồ sơ đã vào sổ",
                f"Yêu cầu {code} đã được vào sổ và chuyển đến bộ phận có thẩm quyền xử lý.",
                "Request registered",
                f"Request {code} has been registered and sent to the unit competent to handle it.")


def _accepted(code: str, d: Mapping[str, Any]) -> Text:
    due = d["deadlines"]["answer_by"]
    return Text("Thông báo thụ lý yêu cầu",
                f"Yêu cầu {code} đã được thụ lý. Thời hạn giải trình: đến hết ngày {_vi_day(due)}.",
                "Notice of acceptance",
                f"Request {code} has been accepted. The explanation is due by the end of "
                f"{_en_day(due)}.")


def _refused(code: str, d: Mapping[str, Any]) -> Text:
    details = d["details"]
    ground_vi, ground_en = REFUSAL_GROUNDS.get(details["ground"], ("căn cứ khác", "another ground"))
    reason_vi, reason_en = _reason(d)
    body_vi = f"Yêu cầu {code} không được thụ lý. Căn cứ: {ground_vi}.{reason_vi}"
    body_en = f"Request {code} has been refused. Ground: {ground_en}.{reason_en}"
    refer_to = str(details.get("refer_to") or "").strip()
    if refer_to:
        body_vi += f" Nội dung này thuộc thẩm quyền của {refer_to}; bạn có thể gửi yêu cầu đến cơ quan đó."
        body_en += f" The matter belongs to {refer_to}; you may send your request there."
    return Text("Thông báo từ chối yêu cầu", body_vi, "Notice of refusal", body_en)


def _extended(code: str, d: Mapping[str, Any]) -> Text:
    due = d["details"]["answer_by"]
    reason_vi, reason_en = _reason(d)
    return Text("Thông báo gia hạn giải trình",
                f"Thời hạn giải trình yêu cầu {code} được gia hạn đến hết ngày {_vi_day(due)}."
                f"{reason_vi}",
                "Notice of extension",
                f"The explanation of request {code} is now due by the end of {_en_day(due)}."
                f"{reason_en}")


def _suspended(code: str, d: Mapping[str, Any]) -> Text:
    reason_vi, reason_en = _reason(d)
    return Text("Thông báo tạm đình chỉ giải trình",
                f"Việc giải trình yêu cầu {code} tạm đình chỉ.{reason_vi} Thời gian tạm đình chỉ "
                "không tính vào thời hạn giải trình.",
                "Notice of suspension",
                f"The explanation of request {code} is suspended.{reason_en} The time suspended "
                "does not count towards its deadline.")


def _resumed(code: str, d: Mapping[str, Any]) -> Text:
    due = d["details"]["answer_by"]
    return Text("Thông báo tiếp tục giải trình",
                f"Việc giải trình yêu cầu {code} được tiếp tục. Thời hạn giải trình: đến hết ngày "
                f"{_vi_day(due)}.",
                "Notice of resumption",
                f"The explanation of request {code} has resumed. It is due by the end of "
                f"{_en_day(due)}.")


def _answered(code: str, d: Mapping[str, Any]) -> Text:
    return Text("Đã có nội dung giải trình",
                f"Nội dung giải trình yêu cầu {code} đã sẵn sàng. Bạn xem tại trang tra cứu tiến "
                f"độ bằng mã {code}.",
                "The explanation is ready",
                f"The explanation of request {code} is ready. Read it on the progress page by "
                f"looking up the code {code}.")


def _closed(code: str, d: Mapping[str, Any]) -> Text:
    return Text("Thông báo kết thúc giải trình", f"Việc giải trình yêu cầu {code} đã kết thúc.",
                "Notice of closure", f"The explanation of request {code} is closed.")


def _dispute_decided(code: str, d: Mapping[str, Any]) -> Text:
    reason_vi, reason_en = _reason(d)
    if d["details"]["outcome"] == "upheld":
        due = d["details"]["answer_by"]
        return Text("Kết quả xem xét ý kiến không đồng ý",
                    f"Cơ quan giám sát chấp nhận ý kiến không đồng ý của bạn với nội dung giải trình "
                    f"yêu cầu {code}. Yêu cầu sẽ được giải trình lại, hạn đến hết ngày "
                    f"{_vi_day(due)}.{reason_vi}",
                    "Decision on your dispute",
                    f"The supervisor upheld your dispute of the explanation of request {code}. "
                    f"It will be explained again by the end of {_en_day(due)}.{reason_en}")
    return Text("Kết quả xem xét ý kiến không đồng ý",
                f"Cơ quan giám sát không chấp nhận ý kiến không đồng ý của bạn với nội dung giải "
                f"trình yêu cầu {code}; việc giải trình kết thúc.{reason_vi}",
                "Decision on your dispute",
                f"The supervisor dismissed your dispute of the explanation of request {code}; "
                f"the case is closed.{reason_en}")


def _withdrawn(code: str, d: Mapping[str, Any]) -> Text:
    return Text("Xác nhận rút yêu cầu",
                f"Yêu cầu {code} đã được rút theo đề nghị của bạn; việc giải trình chấm dứt.",
                "Withdrawal confirmed",
                f"Request {code} has been withdrawn at your request; the case has ended.")


def _merged(code: str, d: Mapping[str, Any]) -> Text:
    reason_vi, reason_en = _reason(d)
    return Text("Thông báo gộp hồ sơ",
                f"Yêu cầu {code} được gộp với một hồ sơ khác có cùng nội dung để giải trình "
                f"chung.{reason_vi}",
                "Notice of merger",
                f"Request {code} has been joined to another case of the same content, to be "
                f"explained together.{reason_en}")


def _case(step: str) -> str:
    return f"vn.giaitrinh.case.{step}.v1"


Render = Callable[[str, Mapping[str, Any]], Text]
# event type → (topic, template from the tracking code and the event's data).
NOTICES: dict[str, tuple[str, Render]] = {
    "vn.giaitrinh.request.submitted.v1": ("received", _received),
    _case("registered"): ("registered", _registered),
    _case("accepted"): ("accepted", _accepted),
    _case("refused"): ("refused", _refused),
    _case("extended"): ("extended", _extended),
    _case("suspended"): ("suspended", _suspended),
    _case("resumed"): ("resumed", _resumed),
    _case("answered"): ("answered", _answered),
    _case("closed"): ("closed", _closed),
    _case("dispute_decided"): ("dispute_decided", _dispute_decided),
    _case("withdrawn"): ("withdrawn", _withdrawn),
    _case("merged"): ("merged", _merged),
}

# The types of notify's streams the requester is deliberately not written to, and why.
NO_NOTICE: dict[str, str] = {
    _case("assigned"): "who handles the case inside the locality; the public timeline shows it",
    _case("transferred"): "a move between units; the public timeline shows it, and scoring counts it",
    _case("disputed"): "the requester's own act; the supervisor's decision on it is told",
    _case("deadline_alert"): "a reminder to officials and heads, not to the requester",
    "vn.giaitrinh.request.joined.v1": "the joiner's own notices go to the joiner's contact "
                                      "(notify_rules.yaml); the case's page is unchanged",
    "vn.giaitrinh.request.withdrawn.v1": "the requester's own act; case.withdrawn confirms it",
    "vn.giaitrinh.request.join_withdrawn.v1": "a joiner's own act of leaving; nothing to tell them",
    "vn.giaitrinh.request.rated.v1": "the requester's own act; nothing to tell them",
    "vn.giaitrinh.request.disputed.v1": "the requester's own act; the supervisor's decision on it is told",
}


def notice_for(event_type: str, data: Mapping[str, Any], now: datetime) -> Notification | None:
    """The message an event of ``event_type`` with ``data`` makes; None if it makes none."""
    found = NOTICES.get(event_type)
    if found is None:
        return None
    topic, render = found
    code = str(data["tracking_code"])
    text = render(code, data)
    return Notification(str(data["request_id"]), code, topic, text.title_vi, text.body_vi, now,
                        step=int(data.get("version") or 0), title_en=text.title_en,
                        body_en=text.body_en)
