"""Scoring's domain facts as contract events, on ``giaitrinh.scores.v1`` (key = request id)."""
from __future__ import annotations

import uuid

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.topics import SCORES
from giaitrinh_scoring.domain.violations import ViolationFlag

SOURCE = "/giaitrinh/scoring"
SCORES_TOPIC = SCORES
VIOLATION_FLAGGED = "vn.giaitrinh.violation.flagged.v1"


def violation_flagged(flag: ViolationFlag, raised_by: CloudEvent) -> CloudEvent:
    """``violation.flagged``: once per flag. Its id is derived from the flag's, so the same flag
    raised again on a rebuild is the same event, which consumers' inboxes drop. It follows the
    case event that raised it (on the cases stream), so a consumer of both applies that first."""
    data = {"flag_id": flag.id, "kind": flag.kind, "case_id": flag.case_id,
            "request_id": flag.request_id, "tracking_code": flag.tracking_code,
            "locality_code": flag.locality_code, "unit_code": flag.unit_code,
            "official_id": flag.official_id, "step": flag.step,
            "due_on": flag.due_on.isoformat() if flag.due_on else None,
            "raised_by": {"event_id": flag.raised_by, "event_type": flag.raised_by_type},
            "raised_at": flag.raised_at.isoformat(),
            **({"units": list(flag.units)} if flag.units else {})}
    return CloudEvent.new(type=VIOLATION_FLAGGED, source=SOURCE, subject=flag.request_id,
                          locality=flag.locality_code, time=flag.raised_at, data=data,
                          id=str(uuid.uuid5(uuid.UUID(flag.id), VIOLATION_FLAGGED)),
                          traceid=raised_by.traceid or None, follows=raised_by)
