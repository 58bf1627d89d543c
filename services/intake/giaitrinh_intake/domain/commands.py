"""Commands intake's handlers accept (imperative names)."""
from __future__ import annotations

from dataclasses import dataclass


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
    trace_id: str = ""
    wrong_types: tuple[str, ...] = ()
    unknown_fields: tuple[str, ...] = ()
