"""Routing's domain facts as contract events."""
from __future__ import annotations

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.domain.model import Case

SOURCE = "/giaitrinh/routing"


def case_registered(case: Case, traceid: str) -> CloudEvent:
    return CloudEvent.new(
        type="vn.giaitrinh.case.registered.v1", source=SOURCE, subject=case.request_id,
        locality=case.locality_code, time=case.registered_at, traceid=traceid or None,
        data={"case_id": case.id, "request_id": case.request_id,
              "tracking_code": case.tracking_code, "kind": case.kind, "field": case.field,
              "locality_code": case.locality_code, "state": case.state.value,
              "registered_at": case.registered_at.isoformat()})
