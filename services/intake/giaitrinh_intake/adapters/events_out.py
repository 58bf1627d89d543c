"""Intake's domain facts as contract events (what other services may know of a request)."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.domain.model import AccountabilityRequest

SOURCE = "/giaitrinh/intake"


def request_submitted(request: AccountabilityRequest, traceid: str = "") -> CloudEvent:
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
        data["contact"] = {k: v for k, v in (("email", r.email), ("phone", r.phone)) if v}
    if request.external_ref:
        data["external_ref"] = {"source_system": request.external_ref.source_system,
                                "external_id": request.external_ref.external_id}
    return CloudEvent.new(type="vn.giaitrinh.request.submitted.v1", source=SOURCE,
                          subject=request.id, locality=request.locality.code, data=data,
                          time=request.submitted_at, traceid=traceid or None)
