"""Commands intake's handlers accept (imperative names)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubmitRequest:
    """Nộp yêu cầu giải trình / phản ánh, kiến nghị. Raw values, validated by the domain."""

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
    trace_id: str = ""
