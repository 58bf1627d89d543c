"""What makes a submission acceptable, with messages a person can act on (vi + en).

Content of a written accountability request: Decree 59/2019/NĐ-CP Art. 10 — the content, the
requester's full name, address, and a phone number or postal address.

Every problem is reported at once, each naming its field: unknown fields, values of the wrong
type, text over its length (:data:`TEXT_LIMITS`, the sizes intake stores) or holding a
character no database can store, missing or invalid values. A field of the wrong type is
reported as such and not checked further.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import Channel, Field, RequesterType, RequestKind

# Longest text, in characters, of each free-text field (the columns intake stores them in).
TEXT_LIMITS = {
    "locality_code": 10,
    "title": 200,
    "content": 10_000,
    "full_name": 200,
    "address": 500,
    "email": 254,  # RFC 5321's longest path
    "phone": 20,
    "source_system": 100,
    "external_id": 200,
    "decision_concerned": 2000,
    "location_text": 500,
    "id_number": 12,
    "latitude": 32,
    "longitude": 32,
}
_VI_NAMES = {
    "kind": "Loại yêu cầu", "channel": "Kênh tiếp nhận", "field": "Lĩnh vực",
    "requester_type": "Loại người yêu cầu", "locality_code": "Mã xã/phường", "title": "Tiêu đề",
    "content": "Nội dung", "full_name": "Họ và tên", "address": "Địa chỉ", "email": "Thư điện tử",
    "phone": "Số điện thoại", "source_system": "Hệ thống gửi", "external_id": "Mã hồ sơ ở hệ thống gửi",
    "wants_notifications": "Nhận thông báo", "decision_concerned": "Quyết định, hành vi được yêu cầu giải trình",
    "location_text": "Địa điểm", "id_number": "Số định danh cá nhân", "latitude": "Vĩ độ", "longitude": "Kinh độ",
    "consent_to_publish": "Đồng ý công khai",
}
_FLAGS = {"wants_notifications", "consent_to_publish"}
# Viet Nam's mainland and its islands (Hoàng Sa and Trường Sa included), WGS 84.
VIETNAM_LATITUDE = (6.0, 23.5)
VIETNAM_LONGITUDE = (102.0, 117.9)
_ID_NUMBER = re.compile(r"^(?:[0-9]{9}|[0-9]{12})$")  # CMND (9 digits) or CCCD (12)
_NUMBER = re.compile(r"^[+-]?[0-9]{1,3}(?:\.[0-9]{1,12})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .-]{8,20}$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
EMAIL, PHONE = _EMAIL, _PHONE  # the forms that ask only for a contact check it the same way


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    vi: str
    en: str

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code, "message": {"vi": self.vi, "en": self.en}}


@cache
def _values(enum) -> tuple[str, ...]:
    """An enum's values, in order (listed once per process, not per submission)."""
    return tuple(m.value for m in enum)


def _choice(name: str, value: str, enum, vi_name: str) -> list[Problem]:
    allowed = _values(enum)
    if value in allowed:
        return []
    return [Problem(name, "invalid_choice",
                    f"{vi_name} không hợp lệ; chọn một trong: {', '.join(allowed)}.",
                    f"{name} must be one of: {', '.join(allowed)}.")]


def _form_problems(cmd: SubmitRequest) -> list[Problem]:
    out = [Problem(name, "unknown_field", "Mẫu yêu cầu không có trường này; hãy kiểm tra tên trường.",
                   f"Intake does not know the field {name}; check its name.") for name in cmd.unknown_fields]
    for name in cmd.wrong_types:
        vi_name = _VI_NAMES.get(name, name)
        if name in _FLAGS:
            out.append(Problem(name, "wrong_type", f"{vi_name} phải là true hoặc false.",
                               f"{name} must be true or false."))
        else:
            out.append(Problem(name, "wrong_type", f"{vi_name} phải là một chuỗi ký tự (JSON string).",
                               f"{name} must be text (a JSON string)."))
    return out


def _text_problems(cmd: SubmitRequest) -> list[Problem]:
    """Text too long, or holding a character no database can store (U+0000, half a surrogate
    pair): the HTTP edge refuses those before, but requests from the inbound topic come here."""
    out = []
    for name, limit in TEXT_LIMITS.items():
        value = getattr(cmd, name)
        if name in cmd.wrong_types:
            continue
        if len(value) > limit:
            out.append(Problem(name, "too_long", f"{_VI_NAMES[name]} tối đa {limit} ký tự.",
                               f"{name} may have at most {limit} characters."))
        elif _UNSTORABLE.search(value):
            out.append(Problem(name, "invalid_characters",
                               f"{_VI_NAMES[name]} có ký tự không lưu được (U+0000 hoặc nửa cặp surrogate).",
                               f"{name} holds a character that cannot be stored (U+0000 or half a "
                               "surrogate pair)."))
    return out


def problems_with(cmd: SubmitRequest, locality_known: bool) -> list[Problem]:
    """Every problem with the submission, so the requester can fix them all at once."""
    out = _form_problems(cmd) + _text_problems(cmd)
    unchecked = set(cmd.wrong_types) | {p.field for p in out}  # reported already: not checked further

    def readable(*names: str) -> bool:
        return not unchecked.intersection(names)

    for name, enum in (("kind", RequestKind), ("channel", Channel), ("field", Field),
                       ("requester_type", RequesterType)):
        if readable(name):
            out += _choice(name, getattr(cmd, name), enum, _VI_NAMES[name])
    if readable("locality_code"):
        if not cmd.locality_code.strip():
            out.append(Problem("locality_code", "required", "Hãy chọn xã/phường nhận yêu cầu.",
                               "Choose the commune or ward the request is for."))
        elif not locality_known:
            out.append(Problem("locality_code", "unknown_locality",
                               "Mã xã/phường không thuộc địa bàn được phục vụ.",
                               "The commune/ward code is not one this platform serves."))
    if readable("title") and not cmd.title.strip():
        out.append(Problem("title", "required", "Hãy nhập tiêu đề.", "A title is required."))
    if readable("content") and not cmd.content.strip():
        out.append(Problem("content", "required", "Hãy nhập nội dung yêu cầu.",
                           "The content of the request is required."))
    if readable("email") and cmd.email and not _EMAIL.match(cmd.email):
        out.append(Problem("email", "invalid_email", "Địa chỉ thư điện tử không hợp lệ.",
                           "The email address is not valid."))
    if readable("phone") and cmd.phone and not _PHONE.match(cmd.phone):
        out.append(Problem("phone", "invalid_phone", "Số điện thoại không hợp lệ.",
                           "The phone number is not valid."))
    if (readable("wants_notifications", "email", "phone") and cmd.wants_notifications
            and not (cmd.email or cmd.phone)):
        out.append(Problem("email", "contact_required",
                           "Muốn nhận thông báo, hãy cho biết thư điện tử hoặc số điện thoại.",
                           "To be notified, give an email address or a phone number."))
    if readable("id_number") and cmd.id_number.strip() and not _ID_NUMBER.match(cmd.id_number.strip()):
        out.append(Problem("id_number", "invalid_id_number",
                           "Số định danh cá nhân gồm 12 chữ số (CCCD) hoặc 9 chữ số (CMND).",
                           "The ID number has 12 digits (citizen ID card) or 9 (old ID card)."))
    if readable("latitude", "longitude"):
        out += _coordinate_problems(cmd.latitude.strip(), cmd.longitude.strip())
    if readable("kind") and cmd.kind == RequestKind.ACCOUNTABILITY_REQUEST.value:
        # Art. 10: who asks, and where to answer them.
        if readable("full_name") and not cmd.full_name.strip():
            out.append(Problem("full_name", "required",
                               "Yêu cầu giải trình phải ghi họ và tên người yêu cầu (Điều 10 NĐ 59/2019).",
                               "An accountability request must give the requester's full name "
                               "(Decree 59/2019, Art. 10)."))
        if readable("address", "phone") and not (cmd.address.strip() or cmd.phone.strip()):
            out.append(Problem("address", "required",
                               "Hãy ghi địa chỉ hoặc số điện thoại liên hệ (Điều 10 NĐ 59/2019).",
                               "Give a postal address or a phone number (Decree 59/2019, Art. 10)."))
    return out


def coordinates(latitude: str, longitude: str) -> tuple[float, float] | None:
    """The point as numbers, or None when none was given (call after :func:`problems_with`)."""
    if not latitude.strip() and not longitude.strip():
        return None
    return float(latitude), float(longitude)


def _coordinate_problems(latitude: str, longitude: str) -> list[Problem]:
    """Both coordinates or neither; decimal degrees; inside Viet Nam (the platform serves only
    Vietnamese communes, so a point elsewhere is a typing slip or swapped coordinates)."""
    if not latitude and not longitude:
        return []
    if not (latitude and longitude):
        missing = "longitude" if latitude else "latitude"
        return [Problem(missing, "required", "Hãy nhập cả vĩ độ và kinh độ, hoặc bỏ trống cả hai.",
                        "Give both latitude and longitude, or neither.")]
    out = []
    for name, value, (low, high) in (("latitude", latitude, VIETNAM_LATITUDE),
                                     ("longitude", longitude, VIETNAM_LONGITUDE)):
        if not _NUMBER.match(value):
            out.append(Problem(name, "invalid_number", f"{_VI_NAMES[name]} phải là số thập phân (ví dụ 16.8163).",
                               f"{name} must be a decimal number (for example 16.8163)."))
        elif not low <= float(value) <= high:
            out.append(Problem(name, "outside_vietnam", "Tọa độ nằm ngoài lãnh thổ Việt Nam.",
                               "The coordinates are outside Viet Nam."))
    return out
