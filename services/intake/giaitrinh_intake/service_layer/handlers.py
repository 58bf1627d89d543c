"""Intake's handlers: each takes a command or an event, loads through the unit of work, asks
the domain, and records the change with its outgoing events. Handlers never commit: their
caller does, once (the consumer, with the inbox claim; the runtime, for a command)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

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
)
from giaitrinh_intake.domain.ports import LocalityDirectory
from giaitrinh_intake.domain.timeline import LABELS, CaseStep
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


REGISTERED = "vn.giaitrinh.case.registered.v1"
# Every event of routing's case that the public timeline shows: registration and each step.
CASE_EVENT_TYPES = tuple(f"vn.giaitrinh.case.{step}.v1" for step in LABELS)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def case_step_of(event: CloudEvent) -> CaseStep:
    """A case event as the timeline's domain reads it; registration is the case's version 0."""
    d = event.data
    if event.type == REGISTERED:
        return CaseStep("registered", datetime.fromisoformat(d["registered_at"]), 0, d["state"],
                        accept_by=_day(d.get("accept_by")))
    name = event.type.removeprefix("vn.giaitrinh.case.").removesuffix(".v1")
    return CaseStep(name, datetime.fromisoformat(d["at"]), d["version"], d["state"],
                    accept_by=_day(d["deadlines"]["accept_by"]),
                    answer_by=_day(d["deadlines"]["answer_by"]), details=d["details"])


def on_case_event(event: CloudEvent, uow: IntakeUnitOfWork) -> None:
    """Routing registered the case or took a step of it: the public timeline shows the step
    once (by the case's version), the public status follows the case's state, and an
    explanation given is kept for publication."""
    request = uow.requests.get(event.data["request_id"])
    if request is None:
        return
    step = case_step_of(event)
    entry = request.record_case_step(step)
    if entry is None:
        return
    uow.requests.append_step(request.id, entry)
    answer = request.latest_answer
    if answer is not None and answer.case_version == step.version:
        uow.requests.add_answer(request.id, answer)
