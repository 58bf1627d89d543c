"""Intake's handlers: each takes a command or an event, loads through the unit of work, asks
the domain, and records the change with its outgoing events. Handlers never commit: their
caller does, once (the consumer, with the inbox claim; the runtime, for a command)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from giaitrinh_common import topics
from giaitrinh_common.consumer import RejectedEvent
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.adapters import events_out
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import (
    AccountabilityRequest,
    Channel,
    ExternalRef,
    Field,
    Requester,
    RequesterType,
    RequestKind,
    TimelineEntry,
)
from giaitrinh_intake.domain.ports import LocalityDirectory
from giaitrinh_intake.domain.tracking import new_tracking_code
from giaitrinh_intake.domain.validation import Problem, problems_with
from giaitrinh_intake.service_layer.unit_of_work import IntakeUnitOfWork


class InvalidSubmission(RejectedEvent):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.en for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Receipt:
    """Phiếu tiếp nhận: what the requester keeps."""

    request_id: str
    tracking_code: str
    submitted_at: datetime
    duplicate: bool = False


def submit_request(cmd: SubmitRequest, uow: IntakeUnitOfWork, localities: LocalityDirectory,
                   now: datetime) -> Receipt:
    """Validate, store, and emit ``request.submitted`` (committed by the caller)."""
    locality = localities.get(cmd.locality_code)
    problems = problems_with(cmd, locality_known=locality is not None)
    if problems:
        raise InvalidSubmission(problems)
    assert locality is not None
    ref = ExternalRef(cmd.source_system, cmd.external_id) if cmd.source_system else None
    if ref is not None and (known := uow.requests.by_external_ref(ref)) is not None:
        return Receipt(known.id, known.tracking_code, known.submitted_at, duplicate=True)
    tracking_code = new_tracking_code()
    while uow.requests.by_tracking_code(tracking_code) is not None:  # 32^8: practically never
        tracking_code = new_tracking_code()
    request = AccountabilityRequest.receive(
        id=str(uuid.uuid4()), tracking_code=tracking_code, kind=RequestKind(cmd.kind),
        channel=Channel(cmd.channel), field=Field(cmd.field), locality=locality,
        title=cmd.title.strip(), content=cmd.content.strip(),
        requester=Requester(RequesterType(cmd.requester_type), cmd.full_name.strip(),
                            cmd.address.strip(), cmd.email.strip(), cmd.phone.strip(),
                            cmd.wants_notifications),
        submitted_at=now, external_ref=ref)
    uow.requests.add(request)
    uow.emit(topics.REQUESTS, events_out.request_submitted(request, cmd.trace_id))
    return Receipt(request.id, request.tracking_code, request.submitted_at)


def on_inbound_feedback(event: CloudEvent, uow: IntakeUnitOfWork, localities: LocalityDirectory,
                        now: datetime) -> None:
    """Another system handed us a request: it becomes an ordinary request with its channel."""
    d = event.data
    contact = d.get("contact") or {}
    cmd = SubmitRequest(
        kind=d["kind"], channel=d["channel"], field=d["field"], locality_code=d["locality_code"],
        title=d["title"], content=d["content"], requester_type=d.get("requester_type", "citizen"),
        email=contact.get("email", ""), phone=contact.get("phone", ""),
        wants_notifications=bool(contact), source_system=d["source_system"],
        external_id=d["external_id"], trace_id=event.traceid)
    # An inbound request the domain refuses raises InvalidSubmission: the consumer retries it
    # and then parks it on the dead-letter topic with the reasons, where the sender can see it.
    submit_request(cmd, uow, localities, now)


def on_case_registered(event: CloudEvent, uow: IntakeUnitOfWork) -> None:
    """Routing registered the case: the public timeline shows it."""
    request = uow.requests.get(event.data["request_id"])
    if request is None:
        return
    entry = TimelineEntry(datetime.fromisoformat(event.data["registered_at"]), "registered",
                          "Đã vào sổ, chuyển bộ phận xử lý", "Registered and sent for handling")
    if entry not in request.timeline:
        uow.requests.append_step(request.id, entry)
