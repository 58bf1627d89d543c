"""Thông báo — what a requester is told, and when. Templates are Vietnamese first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Notification:
    """One in-app message to the holder of a tracking code (hộp thư trên cổng)."""

    request_id: str
    tracking_code: str
    topic: str  # what it is about: "received", "registered", ...
    title: str
    body: str
    created_at: datetime


# event type → (topic, title, body template); {code} is the tracking code.
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "vn.giaitrinh.request.submitted.v1": (
        "received", "Đã tiếp nhận yêu cầu",
        "Yêu cầu của bạn đã được tiếp nhận. Mã tra cứu: {code}. "
        "Bạn có thể theo dõi tiến độ xử lý bằng mã này."),
    "vn.giaitrinh.case.registered.v1": (
        "registered", "Hồ sơ đã vào sổ",
        "Yêu cầu {code} đã được vào sổ và chuyển đến bộ phận có thẩm quyền xử lý."),
}


def notification_for(event_type: str, request_id: str, tracking_code: str,
                     now: datetime) -> Notification | None:
    template = TEMPLATES.get(event_type)
    if template is None:
        return None
    topic, title, body = template
    return Notification(request_id, tracking_code, topic, title, body.format(code=tracking_code), now)
