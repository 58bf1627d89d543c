"""Tiến độ xử lý — how each step of a request's case reads on the public timeline.

Routing owns the procedure (Decree 59/2019/NĐ-CP) and publishes each step with the case's
state, version and deadlines after it; intake only tells the public what happened, when, by
when the next step is due, and whether the step met its own deadline. Nothing here names the
requester or an official: the public timeline carries no personal data (DESIGN.md §5).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class CaseStep:
    """A step of the case as routing published it (``case.registered`` is version 0)."""

    step: str  # the contract's name: registered, accepted, refused, …, dispute_decided, merged
    at: datetime
    version: int
    state: str  # the case's state after the step
    accept_by: date | None = None
    answer_by: date | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def due_by(self) -> date | None:
        """The statutory deadline of the next step: accepting or refusing while the case is
        received (Art. 12), the explanation while it is accepted (Art. 13); none otherwise."""
        return {"received": self.accept_by, "accepted": self.answer_by}.get(self.state)

    @property
    def on_time(self) -> bool | None:
        """Whether this step met its own deadline, for the steps that have one."""
        met = {"accepted": "accepted_on_time", "answered": "on_time"}.get(self.step)
        value = self.details.get(met) if met else None
        return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Commitment:
    """Cam kết sau giải trình — what was promised, by which unit, by when."""

    content: str
    unit_code: str
    due_on: date


# Where the public fetches a published explanation's file: a path the gateway sends to routing,
# which keeps the files and serves them only while the explanation may be published.
PUBLISHED_FILE_PATH = "/tep-giai-trinh/{id}"


@dataclass(frozen=True)
class PublishedFile:
    """A file attached to the explanation, as the public may know it: what it is, never the
    name the official gave it (a name may be personal)."""

    id: str
    media_type: str
    size: int

    @property
    def url(self) -> str:
        return PUBLISHED_FILE_PATH.format(id=self.id)


@dataclass(frozen=True)
class PublicAnswer:
    """Nội dung giải trình as it may be published: the explanation, its legal basis, the
    commitments and the files attached. The meeting's minutes stay out (they name the people
    who met)."""

    case_version: int
    answered_at: datetime
    on_time: bool | None
    explanation: str
    legal_basis: str
    commitments: tuple[Commitment, ...] = ()
    files: tuple[PublishedFile, ...] = ()


@dataclass(frozen=True)
class RequesterFile:
    """A file of the explanation given to the requester, as their own page links it: the public
    path with the file's key, which opens it to them whether or not the explanation is published.
    The key is a capability for that one file; it is shown on that page and nowhere else."""

    file: PublishedFile
    key: str

    @property
    def url(self) -> str:
        return self.file.url + "?" + urlencode({"k": self.key})


def file_keys_of(step: CaseStep) -> dict[str, str]:
    """The key routing gave each file of a ``case.answered`` step, by file id (a file kept before
    files had keys has none); empty for any other step."""
    if step.step != "answered":
        return {}
    return {str(f["id"]): str(f["key"]) for f in step.details.get("attachments") or () if f.get("key")}


def requester_files(answer: PublicAnswer | None, keys: Mapping[str, str]) -> list[RequesterFile]:
    """The files of ``answer`` that open with a key, in the order the answer lists them (so
    "File 1" is the same file on the requester's page as on the public timeline)."""
    if answer is None:
        return []
    return [RequesterFile(f, keys[f.id]) for f in answer.files if keys.get(f.id)]


def answer_of(step: CaseStep) -> PublicAnswer | None:
    """The explanation a ``case.answered`` step gave, as it may be published; None for any
    other step."""
    if step.step != "answered":
        return None
    d = step.details
    commitments = tuple(Commitment(str(c["content"]), str(c.get("unit_code") or ""),
                                   date.fromisoformat(str(c["due_on"])))
                        for c in d.get("commitments") or ())
    files = tuple(PublishedFile(str(f["id"]), str(f["media_type"]), int(f["size"]))
                  for f in d.get("attachments") or ())
    return PublicAnswer(step.version, step.at, step.on_time, str(d.get("explanation") or ""),
                        str(d.get("legal_basis") or ""), commitments, files)


# Căn cứ từ chối in words (Decree 59/2019: Art. 4 who may request, Art. 5 cases not explained,
# Art. 6 content not explained), as routing names them.
REFUSAL_GROUNDS: dict[str, tuple[str, str]] = {
    "not_directly_affected": (
        "người yêu cầu không đủ điều kiện yêu cầu giải trình (Điều 4 Nghị định 59/2019)",
        "the requester does not meet the conditions to request an explanation "
        "(Decree 59/2019, Art. 4)"),
    "state_or_business_secret": (
        "nội dung thuộc bí mật nhà nước, bí mật kinh doanh hoặc bí mật đời tư (Điều 6)",
        "the content is a state, business or personal secret (Art. 6)"),
    "internal_direction": (
        "nội dung thuộc văn bản chỉ đạo, điều hành nội bộ (Điều 6)",
        "the content concerns internal direction and management documents (Art. 6)"),
    "already_explained": (
        "nội dung đã được giải trình, không có lý do mới (Điều 5)",
        "the matter was already explained and no new reason was given (Art. 5)"),
    "being_handled": (
        "nội dung đang được xem xét, giải quyết (Điều 5)",
        "the matter is already being considered and handled (Art. 5)"),
    "requester_conduct": (
        "người yêu cầu say rượu, gây rối hoặc xúc phạm khi yêu cầu (Điều 5)",
        "the request was made while intoxicated, disruptive or insulting (Art. 5)"),
    "invalid_representative": (
        "người đại diện không có giấy tờ hợp lệ (Điều 5)",
        "the representative has no valid papers (Art. 5)"),
    "other_agency": (
        "nội dung thuộc thẩm quyền của cơ quan khác",
        "the matter belongs to another agency"),
}


def _refused(d: Mapping[str, Any]) -> tuple[str, str]:
    vi, en = REFUSAL_GROUNDS.get(str(d.get("ground")), ("căn cứ khác", "another ground"))
    refer_to = str(d.get("refer_to") or "").strip()
    if refer_to:
        return f"Từ chối: {vi}; đề nghị gửi đến {refer_to}", f"Refused: {en}; turn to {refer_to}"
    return f"Từ chối: {vi}", f"Refused: {en}"


def _dispute_decided(d: Mapping[str, Any]) -> tuple[str, str]:
    if d.get("outcome") == "upheld":
        return ("Cơ quan giám sát chấp nhận ý kiến không đồng ý; phải giải trình lại",
                "The supervisor upheld the dispute; the explanation must be given again")
    return ("Cơ quan giám sát không chấp nhận ý kiến không đồng ý; việc giải trình kết thúc",
            "The supervisor dismissed the dispute; the case is closed")


Label = Callable[[Mapping[str, Any]], tuple[str, str]]
# Each step of the procedure, in Vietnamese and English, from the step's details.
LABELS: dict[str, Label] = {
    "registered": lambda d: ("Đã vào sổ, chuyển bộ phận xử lý", "Registered and sent for handling"),
    "accepted": lambda d: ("Đã thụ lý yêu cầu", "Request accepted"),
    "refused": _refused,
    "assigned": lambda d: (f"Đã phân công đơn vị xử lý: {d.get('unit_code', '')}",
                           f"Assigned to the unit {d.get('unit_code', '')}"),
    "transferred": lambda d: (f"Đã chuyển đến đơn vị: {d.get('to_unit', '')}",
                              f"Transferred to the unit {d.get('to_unit', '')}"),
    "extended": lambda d: ("Đã gia hạn thời hạn giải trình", "Explanation deadline extended"),
    "suspended": lambda d: ("Tạm đình chỉ việc giải trình (thời gian này không tính vào thời hạn)",
                            "Explanation suspended (this time does not count)"),
    "resumed": lambda d: ("Tiếp tục việc giải trình", "Explanation resumed"),
    "answered": lambda d: ("Đã giải trình", "Explanation given"),
    "closed": lambda d: ("Kết thúc việc giải trình", "Closed"),
    "withdrawn": lambda d: ("Người yêu cầu đã rút yêu cầu", "Withdrawn by the requester"),
    "disputed": lambda d: ("Người yêu cầu không đồng ý với nội dung giải trình",
                           "The requester disputes the explanation"),
    "dispute_decided": _dispute_decided,
    "merged": lambda d: ("Đã gộp với hồ sơ khác cùng nội dung", "Merged with a case of the same content"),
}


def public_step(step: CaseStep) -> str:
    """The timeline's name of a step: a dispute's decision says which way it went."""
    if step.step == "dispute_decided":
        return "dispute_upheld" if step.details.get("outcome") == "upheld" else "dispute_dismissed"
    return step.step


def label(step: CaseStep) -> tuple[str, str]:
    """The step in Vietnamese and English."""
    return LABELS[step.step](step.details)


# The public status of a request: the case's state, except that a case waiting to be accepted
# or refused reads "registered" (vào sổ) — "received" is what intake says on submission.
PUBLIC_STATUS = {"received": "registered"}
