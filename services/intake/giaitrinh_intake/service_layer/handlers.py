"""Intake's handlers: each takes a command or an event, loads through the unit of work, asks
the domain, and records the change with its outgoing events. Handlers never commit: their
caller does, once (the consumer, with the inbox claim; the runtime, for a command)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from giaitrinh_common import topics
from giaitrinh_common.consumer import RejectedEvent
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.ids import time_ordered_id
from giaitrinh_intake.adapters import events_out
from giaitrinh_intake.adapters.localities import SqlRegistry
from giaitrinh_intake.domain import requester_link
from giaitrinh_intake.domain.attachments import Attachment, FileInspector, judge
from giaitrinh_intake.domain.commands import DisputeAnswer, JoinRequest, RateAnswer, SubmitRequest, WithdrawRequest
from giaitrinh_intake.domain.model import (
    AccountabilityRequest,
    Channel,
    ExternalRef,
    Field,
    Location,
    Requester,
    RequesterType,
    RequestKind,
    SubmissionDetails,
)
from giaitrinh_intake.domain.ports import LocalityDirectory
from giaitrinh_intake.domain.recording import VIETNAM, received_on, recording_problems
from giaitrinh_intake.domain.requester_link import ActionRefused
from giaitrinh_intake.domain.search import search_entry
from giaitrinh_intake.domain.similar import JOINABLE
from giaitrinh_intake.domain.timeline import LABELS, CaseStep, RequesterFile, file_keys_of, requester_files
from giaitrinh_intake.domain.tracking import new_tracking_code
from giaitrinh_intake.domain.validation import EMAIL, PHONE, TEXT_LIMITS, Problem, coordinates, problems_with
from giaitrinh_intake.service_layer.publishers import inbound_refusal
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
    secret: str = ""  # the requester's secret link's key: shown once, stored only as a hash


def submit_request(cmd: SubmitRequest, uow: IntakeUnitOfWork, localities: LocalityDirectory,
                   now: datetime, inspector: FileInspector | None = None) -> Receipt:
    """Validate (the attachments by their content, with ``inspector``), store the request with
    its details, attachments and the hash of a new secret link, and emit ``request.submitted``
    (committed by the caller, so the request, its files and its event are durable together)."""
    locality = localities.get(cmd.locality_code)
    problems = problems_with(cmd, locality_known=locality is not None)
    attachments: list[Attachment] = []
    if cmd.attachments:
        if inspector is None:
            raise ValueError("attachments given with no inspector to judge them")
        attachments, refused = judge(list(cmd.attachments), inspector)
        problems += [Problem(d["field"], d["code"], d["message"]["vi"], d["message"]["en"]) for d in refused]
    if cmd.received_by:  # an official records it: their channels and day (domain.recording)
        problems = [p for p in problems if (p.field, p.code) != ("channel", "invalid_choice")] + [
            p for p in recording_problems(cmd.channel, cmd.received_on, now.astimezone(VIETNAM).date())
            if p.field not in cmd.wrong_types]
    if problems:
        raise InvalidSubmission(problems)
    assert locality is not None
    ref = ExternalRef(cmd.source_system, cmd.external_id) if cmd.source_system else None
    if ref is not None and (known := uow.requests.by_external_ref(ref)) is not None:
        return Receipt(known.id, known.tracking_code, known.submitted_at, duplicate=True)
    # No look-up first: the codes' unique index refuses a code already given (one chance in
    # 32^8 per stored request) and the runtime makes the submission again with a new one.
    request = AccountabilityRequest.receive(
        id=time_ordered_id(), tracking_code=new_tracking_code(), kind=RequestKind(cmd.kind),
        channel=Channel(cmd.channel), field=Field(cmd.field), locality=locality,
        title=cmd.title.strip(), content=cmd.content.strip(),
        requester=Requester(RequesterType(cmd.requester_type), cmd.full_name.strip(),
                            cmd.address.strip(), cmd.email.strip(), cmd.phone.strip(),
                            cmd.wants_notifications),
        submitted_at=now, external_ref=ref, received_by=cmd.received_by, received_on=received_on(cmd.received_on))
    uow.requests.add(request)
    secret = requester_link.new_secret()
    point = coordinates(cmd.latitude, cmd.longitude)
    uow.submissions.add(request.id, SubmissionDetails(
        decision_concerned=cmd.decision_concerned.strip(),
        location=Location(cmd.location_text.strip(), *(point or (None, None))),
        id_number=cmd.id_number.strip(), consent_to_publish=cmd.consent_to_publish,
        link_sha256=requester_link.digest(secret)), attachments)
    uow.emit(topics.REQUESTS, events_out.request_submitted(request, cmd.trace_id,
                                                           requester_link.link_path(secret), attachments,
                                                           cmd.consent_to_publish))
    return Receipt(request.id, request.tracking_code, request.submitted_at, secret=secret)


def on_inbound_feedback(event: CloudEvent, uow: IntakeUnitOfWork, localities: LocalityDirectory,
                        now: datetime) -> None:
    """Another system handed us a request: it becomes an ordinary request with its channel,
    if the registry lets that system (``source_system``) publish for that locality."""
    d = event.data
    # A locality not served is refused by the submission's own check below, with its reason.
    served = localities.get(d["locality_code"]) is not None
    if served and (refusal := inbound_refusal(uow, d["source_system"], d["locality_code"])) is not None:
        raise RejectedEvent(refusal)
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


def on_locality_changed(event: CloudEvent, uow: IntakeUnitOfWork) -> None:
    """Routing's registry changed a locality: served or not, its units and their fields."""
    assert uow.session is not None
    SqlRegistry(uow.session).apply_locality(event.data)


def on_publisher_changed(event: CloudEvent, uow: IntakeUnitOfWork) -> None:
    """Routing's registry changed a publisher: its key's SHA-256, localities, active or not."""
    assert uow.session is not None
    SqlRegistry(uow.session).apply_publisher(event.data)


REGISTRY_HANDLERS = {"vn.giaitrinh.locality.changed.v1": on_locality_changed,
                     "vn.giaitrinh.publisher.changed.v1": on_publisher_changed}


class UnknownRequest(ActionRefused):
    pass


UNKNOWN_TRACKING_CODE = ("unknown_tracking_code", "Không có yêu cầu nào với mã tra cứu này.",
                         "No request has this tracking code.")
UNKNOWN_LINK = ("unknown_link", "Đường dẫn này không đúng hoặc không còn dùng được; hãy kiểm tra lại.",
                "This link is wrong or no longer valid; check it again.")


@dataclass(frozen=True)
class JoinReceipt:
    """What a person who joined keeps: how many have joined, and their own secret link's key
    (shown once, stored only as a hash)."""

    tracking_code: str
    joiner_count: int
    secret: str


def join_request(cmd: JoinRequest, uow: IntakeUnitOfWork, now: datetime) -> JoinReceipt:
    """Cùng kiến nghị: the person joins an open or answered request (Decree 59/2019 Art. 10) and
    gets a secret link of their own, to follow it, leave it or rate the explanation. Their
    contact, with that link, leaves intake only in ``request.joined``, and only when they asked
    to be notified."""
    request = uow.requests.by_tracking_code(cmd.tracking_code)
    if request is None:
        raise UnknownRequest(404, *UNKNOWN_TRACKING_CODE)
    details = uow.submissions.details(request.id)
    if request.status not in JOINABLE or details.standing.withdrawn_at is not None:
        raise ActionRefused(409, "not_joinable", "Yêu cầu này đã kết thúc; không thể cùng kiến nghị.",
                            "This request has ended and cannot be joined.")
    problems = _contact_problems(cmd)
    if problems:
        raise InvalidSubmission(problems)
    secret = requester_link.new_secret()
    joiner_id, count = uow.submissions.add_joiner(request.id, now, cmd.full_name.strip(), cmd.email.strip(),
                                                  cmd.phone.strip(), cmd.wants_notifications,
                                                  requester_link.digest(secret))
    contact = ({k: v for k, v in (("email", cmd.email.strip()), ("phone", cmd.phone.strip()),
                                  ("requester_link", requester_link.link_path(secret))) if v}
               if cmd.wants_notifications else None)
    event = events_out.request_joined(request, now, count, contact, cmd.trace_id)
    uow.submissions.note_joined_event(joiner_id, event.id)
    uow.emit(topics.REQUESTS, event)
    return JoinReceipt(request.tracking_code, count, secret)


def _contact_problems(cmd: JoinRequest) -> list[Problem]:
    out = []
    for name in ("full_name", "email", "phone"):
        if len(getattr(cmd, name)) > TEXT_LIMITS[name]:
            out.append(Problem(name, "too_long", f"Tối đa {TEXT_LIMITS[name]} ký tự.",
                               f"{name} may have at most {TEXT_LIMITS[name]} characters."))
    if cmd.email.strip() and not EMAIL.match(cmd.email.strip()):
        out.append(Problem("email", "invalid_email", "Địa chỉ thư điện tử không hợp lệ.",
                           "The email address is not valid."))
    if cmd.phone.strip() and not PHONE.match(cmd.phone.strip()):
        out.append(Problem("phone", "invalid_phone", "Số điện thoại không hợp lệ.", "The phone number is not valid."))
    if cmd.wants_notifications and not (cmd.email.strip() or cmd.phone.strip()):
        out.append(Problem("email", "contact_required",
                           "Muốn nhận thông báo, hãy cho biết thư điện tử hoặc số điện thoại.",
                           "To be notified, give an email address or a phone number."))
    return out


@dataclass
class LinkHolder:
    """Whose secret link it is: the request's requester, or a person who joined it
    (``joiner_id``, and ``joined_event_id``, the request.joined event that told of them), with
    the request, its details and what the holder did with the link."""

    request: AccountabilityRequest
    details: SubmissionDetails
    standing: requester_link.RequesterStanding
    joiner_id: int | None = None
    joined_event_id: str | None = None

    @property
    def is_joiner(self) -> bool:
        return self.joiner_id is not None

    def save(self, uow: IntakeUnitOfWork) -> None:
        if self.joiner_id is not None:
            assert isinstance(self.standing, requester_link.JoinerStanding)
            uow.submissions.save_joiner_standing(self.joiner_id, self.standing)
        else:
            uow.submissions.save_standing(self.request.id, self.standing)


def holder_by_link(secret: str, uow: IntakeUnitOfWork) -> LinkHolder:
    """The request whose secret link this is, with whose it is; 404 ``unknown_link`` otherwise
    (a malformed secret is not even looked up)."""
    if not requester_link.well_formed(secret):
        raise UnknownRequest(404, *UNKNOWN_LINK)
    key = requester_link.digest(secret)
    request_id = uow.submissions.request_id_by_link(key)
    if request_id is not None and (request := uow.requests.get(request_id)) is not None:
        details = uow.submissions.details(request_id)
        return LinkHolder(request, details, details.standing)
    joiner = uow.submissions.joiner_by_link(key)
    if joiner is not None and (request := uow.requests.get(joiner[1])) is not None:
        joiner_id, request_id, joined_event_id, standing = joiner
        return LinkHolder(request, uow.submissions.details(request_id), standing, joiner_id, joined_event_id)
    raise UnknownRequest(404, *UNKNOWN_LINK)


def own_answer_files(holder: LinkHolder, uow: IntakeUnitOfWork) -> list[RequesterFile]:
    """The files of the latest explanation, each with the link that opens it (its key), for the
    requester's own page — published or not: the explanation was given to them. The requester's
    link only: anyone may join a request, so a joiner's link opens no more than the public
    timeline does (publishing is the requester's consent to give)."""
    answer = holder.request.latest_answer
    if holder.is_joiner or answer is None or not answer.files:
        return []
    return requester_files(answer, uow.requests.answer_file_keys(holder.request.id, answer.case_version))


def _text_problem(name: str, value: str, required: bool) -> list[Problem]:
    if required and not value.strip():
        return [Problem(name, "required", "Hãy nêu lý do.", "Give a reason.")]
    if len(value) > requester_link.MAX_REASON:
        return [Problem(name, "too_long", f"Tối đa {requester_link.MAX_REASON} ký tự.",
                        f"{name} may have at most {requester_link.MAX_REASON} characters.")]
    return []


def withdraw_request(cmd: WithdrawRequest, uow: IntakeUnitOfWork, now: datetime) -> AccountabilityRequest:
    """Rút yêu cầu before the explanation; routing ends the case on ``request.withdrawn``. With a
    joiner's link, the joiner leaves the request (at any time): no longer counted, and
    ``request.join_withdrawn`` tells notify to stop writing to them; the case goes on."""
    holder = holder_by_link(cmd.secret, uow)
    if problems := _text_problem("reason", cmd.reason, required=False):
        raise InvalidSubmission(problems)
    holder.standing.withdraw(holder.request.status, now)
    holder.save(uow)
    if holder.is_joiner:
        uow.emit(topics.REQUESTS, events_out.request_join_withdrawn(
            holder.request, now, uow.submissions.joiner_count(holder.request.id), holder.joined_event_id,
            cmd.trace_id))
    else:
        uow.emit(topics.REQUESTS, events_out.request_withdrawn(holder.request, now, cmd.reason.strip(),
                                                               cmd.trace_id))
    return holder.request


def rate_answer(cmd: RateAnswer, uow: IntakeUnitOfWork, now: datetime) -> AccountabilityRequest:
    """Đánh giá the explanation, 1 to 5, once per link (the requester's, and each joiner's);
    scoring counts it for citizens' satisfaction."""
    holder = holder_by_link(cmd.secret, uow)
    problems = _text_problem("comment", cmd.comment, required=False)
    if not (isinstance(cmd.rating, int) and not isinstance(cmd.rating, bool) and 1 <= cmd.rating <= 5):
        problems.append(Problem("rating", "invalid_rating", "Hãy chọn mức đánh giá từ 1 đến 5.",
                                "Choose a rating from 1 to 5."))
    if problems:
        raise InvalidSubmission(problems)
    holder.standing.rate(holder.request.latest_answer is not None, cmd.rating, now)
    holder.save(uow)
    uow.emit(topics.REQUESTS, events_out.request_rated(
        holder.request, now, cmd.rating, cmd.comment.strip(), cmd.trace_id,
        rated_by="joiner" if holder.is_joiner else "requester"))
    return holder.request


def dispute_answer(cmd: DisputeAnswer, uow: IntakeUnitOfWork, now: datetime) -> AccountabilityRequest:
    """Không đồng ý with the explanation; routing puts the dispute to a supervisor. The
    requester's own: a joiner's link is refused (403)."""
    holder = holder_by_link(cmd.secret, uow)
    if problems := _text_problem("reason", cmd.reason, required=True):
        raise InvalidSubmission(problems)
    holder.standing.dispute(holder.request.latest_answer is not None, now)
    holder.save(uow)
    uow.emit(topics.REQUESTS, events_out.request_disputed(holder.request, now, cmd.reason.strip(), cmd.trace_id))
    return holder.request


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
    explanation given is kept for publication, with the keys of its files beside it (for the
    requester's own page)."""
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
        uow.requests.add_answer(request.id, answer, file_keys_of(step))
        # Published (and so found by the public search) only with the requester's consent.
        published = search_entry(request, uow.submissions.details(request.id).consent_to_publish)
        if published is not None:
            uow.search.put(published)
