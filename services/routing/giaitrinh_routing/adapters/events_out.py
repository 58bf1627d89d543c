"""Routing's domain facts as contract events."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.domain.model import Case

SOURCE = "/giaitrinh/routing"


def case_registered(case: Case, submitted: CloudEvent) -> CloudEvent:
    """``case.registered`` follows the ``request.submitted`` that opened the case."""
    return CloudEvent.new(
        type="vn.giaitrinh.case.registered.v1", source=SOURCE, subject=case.request_id,
        locality=case.locality_code, time=case.registered_at,
        traceid=submitted.traceid or None, follows=submitted,
        data={"case_id": case.id, "request_id": case.request_id,
              "tracking_code": case.tracking_code, "kind": case.kind, "field": case.field,
              "locality_code": case.locality_code, "state": case.state.value,
              "registered_at": case.registered_at.isoformat()})
