"""Accountability requests and feedback as intake sees them."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from giaitrinh_intake.domain.requester_link import RequesterStanding
from giaitrinh_intake.domain.timeline import (
    PUBLIC_STATUS,
    CaseStep,
    PublicAnswer,
    answer_of,
    label,
    public_step,
)


class RequestKind(StrEnum):
    ACCOUNTABILITY_REQUEST = "accountability_request"  # yêu cầu giải trình
    FEEDBACK = "feedback"  # phản ánh, kiến nghị


class Channel(StrEnum):
    """How the request reached us (kênh tiếp nhận)."""

    PORTAL = "portal"
    API = "api"
    OPEN311 = "open311"
    DIRECT = "direct"  # trực tiếp tại trụ sở
    HOTLINE = "hotline"  # đường dây nóng
    VOTER_MEETING = "voter_meeting"  # tiếp xúc cử tri
    MAIL = "mail"
    EXTERNAL_SYSTEM = "external_system"


class Field(StrEnum):
    """Lĩnh vực — decides which unit handles the request."""

    LAND = "land"
    CONSTRUCTION = "construction"
    ENVIRONMENT = "environment"
    FINANCE = "finance"
    PUBLIC_PROCUREMENT = "public_procurement"
    PERSONNEL = "personnel"
    ADMINISTRATIVE_PROCEDURES = "administrative_procedures"
    JUSTICE = "justice"
    SOCIAL_AFFAIRS = "social_affairs"
    HEALTH = "health"
    EDUCATION = "education"
    OTHER = "other"


class RequesterType(StrEnum):
    CITIZEN = "citizen"
    BUSINESS = "business"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Requester:
    """Người yêu cầu. Personal data: stays in intake, never on public pages or APIs."""

    type: RequesterType
    full_name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    wants_notifications: bool = False


@dataclass(frozen=True)
class Location:
    """Địa điểm: where the matter is — an address as the person writes it, and optionally a point
    (WGS 84) inside Viet Nam."""

    text: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class SubmissionDetails:
    """What the submission form adds to a request: the decision or act concerned (*quyết định,
    hành vi*), where, the requester's ID number (personal data, never public), their consent to
    publish the explanation, the hash of their secret link, what they did with it, and how many
    people joined the request."""

    decision_concerned: str = ""
    location: Location = dataclasses.field(default_factory=Location)
    id_number: str = ""
    consent_to_publish: bool = False
    link_sha256: str | None = None
    standing: RequesterStanding = dataclasses.field(default_factory=RequesterStanding)
    joiner_count: int = 0


@dataclass(frozen=True)
class ExternalRef:
    """The id another system gave the same request (for requests arriving on the inbound topic)."""

    source_system: str
    external_id: str


@dataclass(frozen=True)
class Locality:
    """A commune or ward (xã, phường) — the tenant a request belongs to."""

    code: str
    name: str
    province_code: str


@dataclass(frozen=True)
class TimelineEntry:
    """One public step of a request's progress (tiến độ xử lý). A step of the case carries the
    case's version and state after it (intake's own ``submitted`` carries neither), the
    deadline of the next step while one runs, and whether the step met its own deadline."""

    at: datetime
    step: str
    label_vi: str
    label_en: str
    case_version: int | None = None
    state: str | None = None
    due_by: date | None = None
    on_time: bool | None = None


@dataclass
class AccountabilityRequest:
    """Yêu cầu giải trình or phản ánh, kiến nghị, as received."""

    id: str
    tracking_code: str
    kind: RequestKind
    channel: Channel
    field: Field
    locality: Locality
    title: str
    content: str
    requester: Requester
    submitted_at: datetime
    external_ref: ExternalRef | None = None
    timeline: list[TimelineEntry] = dataclasses.field(default_factory=list)
    received_by: str = ""  # the official who recorded it (domain.recording); empty when the person filed it
    received_on: date | None = None  # the day that official received it, when given
    answers: list[PublicAnswer] = dataclasses.field(default_factory=list)

    @classmethod
    def receive(cls, **values) -> AccountabilityRequest:
        request = cls(**values)
        request.timeline.append(TimelineEntry(
            request.submitted_at, "submitted", "Đã tiếp nhận yêu cầu", "Request received"))
        return request

    def record_case_step(self, step: CaseStep) -> TimelineEntry | None:
        """Put a step of the case on the timeline; None when it is there already (the same
        step delivered or replayed again: its case version is its identity)."""
        if any(e.case_version == step.version for e in self.timeline):
            return None
        vi, en = label(step)
        entry = TimelineEntry(step.at, public_step(step), vi, en, step.version, step.state,
                              step.due_by, step.on_time)
        self.timeline.append(entry)
        if (answer := answer_of(step)) is not None:
            self.answers.append(answer)
        return entry

    def _latest_case_step(self) -> TimelineEntry | None:
        steps = [e for e in self.timeline if e.case_version is not None]
        return max(steps, key=lambda e: e.case_version or 0) if steps else None

    @property
    def status(self) -> str:
        """The public status follows the case's state after its latest step (by version, so
        a step applied late cannot move it back); ``submitted`` until routing registers it."""
        latest = self._latest_case_step()
        if latest is None or latest.state is None:
            return "submitted"
        return PUBLIC_STATUS.get(latest.state, latest.state)

    @property
    def deadline(self) -> tuple[str, date] | None:
        """The statutory deadline running now: (``accept``, accept-by) while the case waits to be
        accepted or refused, (``answer``, answer-by) while it is being explained."""
        latest = self._latest_case_step()
        if latest is None or latest.due_by is None:
            return None
        return ("accept" if latest.state == "received" else "answer"), latest.due_by

    @property
    def latest_answer(self) -> PublicAnswer | None:
        """The explanation given last (a dispute upheld means it is given again)."""
        return max(self.answers, key=lambda a: a.case_version) if self.answers else None
