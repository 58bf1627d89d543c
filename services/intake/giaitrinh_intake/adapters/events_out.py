"""Intake's domain facts as contract events (what other services may know of a request)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.domain.attachments import Attachment
from giaitrinh_intake.domain.model import AccountabilityRequest

SOURCE = "/giaitrinh/intake"


def request_submitted(request: AccountabilityRequest, traceid: str = "", requester_link: str = "",
                      attachments: Sequence[Attachment] = (), consent_to_publish: bool = False) -> CloudEvent:
    """``request.submitted``; the requester's secret link rides in ``contact`` only, for the
    receipt notice, and only when the requester asked to be notified. ``attachments``: what
    the files are (id, name, type, size), never their bytes — staff fetch them from intake.
    ``consent_to_publish``: routing serves the explanation's files to the public only with it."""
    r = request.requester
    data: dict[str, object] = {
        "request_id": request.id, "tracking_code": request.tracking_code,
        "kind": request.kind.value, "channel": request.channel.value,
        "field": request.field.value, "locality_code": request.locality.code,
        "province_code": request.locality.province_code, "title": request.title,
        "content": request.content, "requester_type": r.type.value,
        "submitted_at": request.submitted_at.isoformat(),
    }
    if r.wants_notifications:
        # The requester asked to be told; only then does their contact leave intake.
        data["contact"] = {k: v for k, v in (("email", r.email), ("phone", r.phone), ("requester_link", requester_link))
                           if v}
    if request.external_ref:
        data["external_ref"] = {"source_system": request.external_ref.source_system,
                                "external_id": request.external_ref.external_id}
    if attachments:
        data["attachments"] = [a.metadata() for a in attachments]
    if consent_to_publish:
        data["consent_to_publish"] = True
    if request.received_by:  # recorded by an official: who (their account id) and when received
        data["received_by"] = request.received_by
        if request.received_on:
            data["received_on"] = request.received_on.isoformat()
    return CloudEvent.new(type="vn.giaitrinh.request.submitted.v1", source=SOURCE,
                          subject=request.id, locality=request.locality.code, data=data,
                          time=request.submitted_at, traceid=traceid or None)


def _requester_action(kind: str, request: AccountabilityRequest, at: datetime, traceid: str,
                      **values: object) -> CloudEvent:
    """One of the requester's actions; nothing in it says who the requester is."""
    data = {"request_id": request.id, "tracking_code": request.tracking_code,
            "locality_code": request.locality.code, f"{kind}_at": at.isoformat(),
            **{k: v for k, v in values.items() if v not in (None, "")}}
    return CloudEvent.new(type=f"vn.giaitrinh.request.{kind}.v1", source=SOURCE, subject=request.id,
                          locality=request.locality.code, data=data, time=at, traceid=traceid or None)


def request_joined(request: AccountabilityRequest, at: datetime, joiner_count: int,
                   contact: dict[str, str] | None, traceid: str = "") -> CloudEvent:
    """``contact`` only when the joiner asked to be notified (their own notices need it)."""
    return _requester_action("joined", request, at, traceid, joiner_count=joiner_count, contact=contact or None)


def request_withdrawn(request: AccountabilityRequest, at: datetime, reason: str, traceid: str = "") -> CloudEvent:
    return _requester_action("withdrawn", request, at, traceid, reason=reason)


def request_join_withdrawn(request: AccountabilityRequest, at: datetime, joiner_count: int,
                           joined_event_id: str | None, traceid: str = "") -> CloudEvent:
    """A joiner left the request: ``joined_event_id`` names the request.joined event that told
    of them (the one their contact came in), so that their notices stop; nothing says who."""
    return _requester_action("join_withdrawn", request, at, traceid, joiner_count=joiner_count,
                             joined_event_id=joined_event_id)


def request_rated(request: AccountabilityRequest, at: datetime, rating: int, comment: str,
                  traceid: str = "", rated_by: str = "requester") -> CloudEvent:
    """``rated_by``: the requester, or one of those who joined the request (each rates once)."""
    return _requester_action("rated", request, at, traceid, rating=rating, comment=comment, rated_by=rated_by)


def request_disputed(request: AccountabilityRequest, at: datetime, reason: str, traceid: str = "") -> CloudEvent:
    return _requester_action("disputed", request, at, traceid, reason=reason)
