"""Đăng ký webhook — other systems that asked to be told of events: where to send, which event
types of which locality, and the secrets their deliveries are signed with.

Signing follows Standard Webhooks (adapters/webhooks.py does the HMAC). A secret is rotated
with an overlap: the new one signs at once, and the old one goes on signing beside it until
``overlap`` has passed, each signature listed in the ``webhook-signature`` header. A receiver
therefore swaps its copy of the secret at any moment in that window without losing a single
delivery, and a delivery retried during it verifies with either secret.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

ALL_TYPES = "*"
EVENT_TYPE = re.compile(r"^vn\.giaitrinh\.[a-z_]{1,40}\.[a-z_]{1,40}\.v[0-9]{1,3}$")
MAX_EVENT_TYPES = 50
MAX_URL = 2000
MAX_DESCRIPTION = 500
MAX_SECRETS = 5  # a rotation every hour inside a day's overlap is already a mistake


@dataclass(frozen=True)
class SigningSecret:
    """One secret of a subscription (``whsec_`` + base64 of the key, as Standard Webhooks
    writes it); ``expires_at`` None while it is the current one."""

    id: str
    secret: str
    created_at: datetime
    expires_at: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


def newest_first(secrets: Iterable[SigningSecret]) -> list[SigningSecret]:
    """The current secret (no end) first, then the others by when they were made, newest first
    (two made in the same second keep the current one in front)."""
    return sorted(secrets, key=lambda s: (s.expires_at is None, s.created_at, s.expires_at or s.created_at),
                  reverse=True)


@dataclass(frozen=True)
class WebhookSubscription:
    """A registered receiver (*hệ thống nhận thông báo*). ``locality_code`` None: every
    locality of the deployment; ``event_types`` (``*``: every type)."""

    id: str
    url: str
    event_types: tuple[str, ...]
    locality_code: str | None
    description: str
    active: bool
    created_at: datetime
    secrets: tuple[SigningSecret, ...] = ()

    def wants(self, event_type: str, locality_code: str | None) -> bool:
        """Whether an event of ``event_type`` in ``locality_code`` is to be sent here."""
        return (self.active
                and (ALL_TYPES in self.event_types or event_type in self.event_types)
                and (self.locality_code is None or self.locality_code == locality_code))

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a delivery made at ``now``, newest first."""
        return tuple(s.secret for s in newest_first(s for s in self.secrets if s.signs_at(now)))

    def rotated(self, new: SigningSecret, now: datetime, overlap: timedelta) -> WebhookSubscription:
        """The subscription with ``new`` as its current secret: each secret still signing goes
        on until ``now + overlap`` (or its own earlier end), expired ones are dropped, and at
        most :data:`MAX_SECRETS` are kept (the oldest go first)."""
        until = now + overlap
        kept = [replace(s, expires_at=until if s.expires_at is None else min(s.expires_at, until))
                for s in self.secrets if s.signs_at(now)]
        kept = newest_first(s for s in kept if s.signs_at(now))  # an overlap of 0 ends them now
        return replace(self, secrets=(new, *kept[:MAX_SECRETS - 1]))


# -- what a subscription may be --------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a field, in Vietnamese and English."""

    field: str
    code: str
    vi: str
    en: str


def url_problems(url: object, *, allow_http: bool) -> list[Problem]:
    """Whether ``url`` may receive webhooks: an https address (http only where the settings
    allow it: a test bench or a closed network), with a host, no credentials in it (they would
    sit in logs) and no fragment."""
    if not isinstance(url, str) or not url:
        return [Problem("url", "required", "Cần địa chỉ nhận (URL).", "The receiving address (URL) is required.")]
    if len(url) > MAX_URL:
        return [Problem("url", "too_long", f"Địa chỉ dài quá {MAX_URL} ký tự.",
                        f"The address is longer than {MAX_URL} characters.")]
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number or out of range
    except ValueError:
        parts, port = None, None
    schemes = ("https", "http") if allow_http else ("https",)
    if (parts is None or parts.scheme not in schemes or not parts.hostname or not url.isascii()
            or any(ch.isspace() for ch in url) or port == 0):
        return [Problem("url", "invalid_url",
                        "Địa chỉ nhận phải là một URL https:// hợp lệ" + (" (hoặc http://)." if allow_http else "."),
                        "The address must be a valid https:// URL" + (" (or http://)." if allow_http else "."))]
    if parts.username or parts.password:
        return [Problem("url", "credentials_in_url", "Không ghi tên đăng nhập hay mật khẩu trong địa chỉ; "
                        "chữ ký webhook đã xác thực người gửi.", "Put no user name or password in the "
                        "address; the webhook signature already authenticates the sender.")]
    if parts.fragment:
        return [Problem("url", "fragment_in_url", "Địa chỉ không được có phần #…",
                        "The address may not have a #fragment.")]
    return []


def event_type_problems(types: object, known: Iterable[str]) -> list[Problem]:
    """Whether ``types`` is a list of event types to subscribe to: ``["*"]``, or 1 to
    :data:`MAX_EVENT_TYPES` distinct types, each one of ``known`` (the published contract)."""
    if not isinstance(types, list) or not types or len(types) > MAX_EVENT_TYPES:
        return [Problem("event_types", "invalid_event_types",
                        f"Cần một danh sách từ 1 đến {MAX_EVENT_TYPES} loại sự kiện, hoặc [\"*\"].",
                        f"Give a list of 1 to {MAX_EVENT_TYPES} event types, or [\"*\"].")]
    known_set = set(known)
    problems: list[Problem] = []
    for i, t in enumerate(types):
        if t == ALL_TYPES and len(types) == 1:
            continue
        if not isinstance(t, str) or not EVENT_TYPE.match(t) or t not in known_set:
            problems.append(Problem(f"event_types[{i}]", "unknown_event_type",
                                    "Không có loại sự kiện này trong hợp đồng sự kiện đã công bố.",
                                    "No such event type in the published event contract."))
    if not problems and len(set(types)) != len(types):
        problems.append(Problem("event_types", "duplicate_event_type", "Một loại sự kiện được ghi hai lần.",
                                "An event type is given twice."))
    return problems
