"""Commands intake's handlers accept (imperative names)."""
from __future__ import annotations

from dataclasses import dataclass

from giaitrinh_intake.domain.attachments import Upload


@dataclass(frozen=True)
class SubmitRequest:
    """Nộp yêu cầu giải trình / phản ánh, kiến nghị. Raw values, validated by the domain.

    ``wrong_types`` and ``unknown_fields`` carry what the sender's form got wrong before any
    value could be read, so that the domain reports them together with every other problem:
    fields given with a type intake cannot read (their value here is empty), and fields
    intake does not know (refused rather than dropped: a misspelt ``ful_name`` would otherwise
    vanish without the requester knowing)."""

    kind: str
    channel: str
    field: str
    locality_code: str
    title: str
    content: str
    requester_type: str = "citizen"
    full_name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    wants_notifications: bool = False
    source_system: str = ""
    external_id: str = ""
    # The submission form's details (giaitrinh_intake.domain.model.SubmissionDetails);
    # coordinates as typed, read by the domain.
    decision_concerned: str = ""
    location_text: str = ""
    latitude: str = ""
    longitude: str = ""
    id_number: str = ""
    consent_to_publish: bool = False
    attachments: tuple[Upload, ...] = ()
    trace_id: str = ""
    wrong_types: tuple[str, ...] = ()
    unknown_fields: tuple[str, ...] = ()
    # Recorded by an official (giaitrinh_intake.domain.recording): their account id, from their
    # token, never from the body; the day received as typed (YYYY-MM-DD, optional).
    received_by: str = ""
    received_on: str = ""


@dataclass(frozen=True)
class JoinRequest:
    """Cùng kiến nghị: join a request of the same content instead of filing it again."""

    tracking_code: str
    full_name: str = ""
    email: str = ""
    phone: str = ""
    wants_notifications: bool = False
    trace_id: str = ""


@dataclass(frozen=True)
class WithdrawRequest:
    """Rút yêu cầu, with the requester's secret link."""

    secret: str
    reason: str = ""
    trace_id: str = ""


@dataclass(frozen=True)
class RateAnswer:
    """Đánh giá the explanation, 1 to 5, with the requester's secret link."""

    secret: str
    rating: int
    comment: str = ""
    trace_id: str = ""


@dataclass(frozen=True)
class DisputeAnswer:
    """Không đồng ý with the explanation, with the requester's secret link and a reason."""

    secret: str
    reason: str
    trace_id: str = ""
