"""What makes a submission acceptable, with messages a person can act on (vi + en).

Content of a written accountability request: Decree 59/2019/NĐ-CP Art. 10 — the content, the
requester's full name, address, and a phone number or postal address.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import Channel, Field, RequesterType, RequestKind

TITLE_MAX = 200
CONTENT_MAX = 10_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .-]{8,20}$")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    vi: str
    en: str

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code, "message": {"vi": self.vi, "en": self.en}}


def _choice(name: str, value: str, enum, vi_name: str) -> list[Problem]:
    allowed = [m.value for m in enum]
    if value in allowed:
        return []
    return [Problem(name, "invalid_choice",
                    f"{vi_name} không hợp lệ; chọn một trong: {', '.join(allowed)}.",
                    f"{name} must be one of: {', '.join(allowed)}.")]


def problems_with(cmd: SubmitRequest, locality_known: bool) -> list[Problem]:
    """Every problem with the submission, so the requester can fix them all at once."""
    out: list[Problem] = []
    out += _choice("kind", cmd.kind, RequestKind, "Loại yêu cầu")
    out += _choice("channel", cmd.channel, Channel, "Kênh tiếp nhận")
    out += _choice("field", cmd.field, Field, "Lĩnh vực")
    out += _choice("requester_type", cmd.requester_type, RequesterType, "Loại người yêu cầu")
    if not cmd.locality_code.strip():
        out.append(Problem("locality_code", "required", "Hãy chọn xã/phường nhận yêu cầu.",
                           "Choose the commune or ward the request is for."))
    elif not locality_known:
        out.append(Problem("locality_code", "unknown_locality",
                           "Mã xã/phường không thuộc địa bàn được phục vụ.",
                           "The commune/ward code is not one this platform serves."))
    if not cmd.title.strip():
        out.append(Problem("title", "required", "Hãy nhập tiêu đề.", "A title is required."))
    elif len(cmd.title) > TITLE_MAX:
        out.append(Problem("title", "too_long", f"Tiêu đề tối đa {TITLE_MAX} ký tự.",
                           f"The title may have at most {TITLE_MAX} characters."))
    if not cmd.content.strip():
        out.append(Problem("content", "required", "Hãy nhập nội dung yêu cầu.",
                           "The content of the request is required."))
    elif len(cmd.content) > CONTENT_MAX:
        out.append(Problem("content", "too_long", f"Nội dung tối đa {CONTENT_MAX} ký tự.",
                           f"The content may have at most {CONTENT_MAX} characters."))
    if cmd.email and not _EMAIL.match(cmd.email):
        out.append(Problem("email", "invalid_email", "Địa chỉ thư điện tử không hợp lệ.",
                           "The email address is not valid."))
    if cmd.phone and not _PHONE.match(cmd.phone):
        out.append(Problem("phone", "invalid_phone", "Số điện thoại không hợp lệ.",
                           "The phone number is not valid."))
    if cmd.wants_notifications and not (cmd.email or cmd.phone):
        out.append(Problem("email", "contact_required",
                           "Muốn nhận thông báo, hãy cho biết thư điện tử hoặc số điện thoại.",
                           "To be notified, give an email address or a phone number."))
    if cmd.kind == RequestKind.ACCOUNTABILITY_REQUEST.value:
        # Art. 10: who asks, and where to answer them.
        if not cmd.full_name.strip():
            out.append(Problem("full_name", "required",
                               "Yêu cầu giải trình phải ghi họ và tên người yêu cầu (Điều 10 NĐ 59/2019).",
                               "An accountability request must give the requester's full name "
                               "(Decree 59/2019, Art. 10)."))
        if not (cmd.address.strip() or cmd.phone.strip()):
            out.append(Problem("address", "required",
                               "Hãy ghi địa chỉ hoặc số điện thoại liên hệ (Điều 10 NĐ 59/2019).",
                               "Give a postal address or a phone number (Decree 59/2019, Art. 10)."))
    return out
