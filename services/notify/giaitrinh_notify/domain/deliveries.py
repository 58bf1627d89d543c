"""Sổ gửi — the delivery ledger's rules: what names a message for good, the states it goes
through, and when a failed try is tried again.

A message is recorded (``pending``) in the same transaction as the event that causes it, before
anything is sent; the sender loop takes it (``sending``, with a lease), sends, and completes it
(``sent``). A temporary failure waits for the next try (exponential back-off with full jitter);
after the last try it is ``parked`` with its reason; a permanent refusal (a 4xx, an address the
server rejects, no address at all) makes it ``undeliverable`` at once. An operator may send a
parked or undeliverable message again (``giaitrinh notify deliveries resend KEY``).

A message found ``sending`` after its lease ran out was taken by a worker that died: it is in
doubt (the send may or may not have happened) and is tried again — that is the one window for a
duplicate, narrowed per channel by passing the delivery key on (docs/ARCHITECTURE.md, notify).
"""
from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PENDING, SENDING, SENT, PARKED, UNDELIVERABLE = "pending", "sending", "sent", "parked", "undeliverable"
STATUSES = (PENDING, SENDING, SENT, PARKED, UNDELIVERABLE)
FINAL = (SENT, PARKED, UNDELIVERABLE)


_EMAIL = re.compile(r"^[^@\s<>\"',;()\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def is_email_address(address: str) -> bool:
    """A plain ``local@domain.tld`` address, no display name, no header injection."""
    return len(address) <= 254 and bool(_EMAIL.match(address))


def delivery_key(event_id: str, recipient: str, channel: str, template: str) -> str:
    """The message's name for good: the same event told to the same recipient over the same
    channel with the same template is the same message, however often the event arrives."""
    raw = "\x1f".join((event_id, recipient.strip().lower(), channel, template))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Delivery:
    """One row of the ledger (*một lần gửi*)."""

    delivery_key: str
    event_id: str
    event_type: str
    audience: str
    recipient: str
    channel: str
    template: str
    context: dict[str, Any]
    status: str = PENDING
    language: str = "vi"
    statutory: bool = False
    request_id: str | None = None
    locality_code: str | None = None
    person: str | None = None
    attempts: int = 0
    reason: str | None = None
    provider_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a temporary failure is tried again.

    ``max_attempts`` tries in all; before try n+1 the wait is a uniform draw from
    [0, min(cap, base · 2^(n-1))] ("full jitter": many messages failing together against one
    server spread out instead of coming back as a herd)."""

    max_attempts: int = 6
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("a retry policy needs at least one try, a positive base and cap >= base")

    def ceiling(self, attempts: int) -> float:
        """The longest wait after ``attempts`` tries."""
        return min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))

    def next_try(self, attempts: int, now: datetime,
                 draw: Callable[[], float] = random.random) -> datetime | None:
        """When to try again after ``attempts`` tries failed; None: that was the last."""
        if attempts >= self.max_attempts:
            return None
        return now + timedelta(seconds=draw() * self.ceiling(attempts))
