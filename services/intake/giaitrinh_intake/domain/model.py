"""Accountability requests and feedback as intake sees them."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
    """One public step of a request's progress (tiến độ xử lý)."""

    at: datetime
    step: str
    label_vi: str
    label_en: str


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

    @classmethod
    def receive(cls, **values) -> AccountabilityRequest:
        request = cls(**values)
        request.timeline.append(TimelineEntry(
            request.submitted_at, "submitted", "Đã tiếp nhận yêu cầu", "Request received"))
        return request

    @property
    def status(self) -> str:
        return self.timeline[-1].step if self.timeline else "submitted"
