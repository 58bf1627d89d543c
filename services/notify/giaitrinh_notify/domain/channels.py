"""Kênh gửi — the ways a message leaves notify: email (SMTP), SMS (an HTTP gateway), webhooks
to registered systems, and the in-app inbox. The one interface every channel adapter keeps, so
the delivery loop (a delivery key recorded before sending, completed after; retries; parking)
knows nothing of any channel's protocol.

A channel answers a send in one of three ways: it returns (delivered; optionally the provider's
own id), raises :class:`DeliveryRefused` (permanent — a 4xx from a gateway, an address the
server rejects, a body it refuses: retrying cannot help, the message is logged undeliverable
with the reason), or raises :class:`DeliveryFailed` (temporary — a 5xx, a time-out, a dropped
connection: retried with back-off, parked after the last try).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

EMAIL, SMS, WEBHOOK, IN_APP = "email", "sms", "webhook", "in_app"
CHANNELS = (EMAIL, SMS, WEBHOOK, IN_APP)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient over one channel (*một thông báo gửi đi*).

    ``delivery_key`` names it for good (event id × recipient × channel × template, hashed): the
    ledger records it before the send, and channels that can pass it on do (an email's
    Message-ID, a webhook's ``webhook-id``, an SMS gateway's client reference), so the receiving
    side can drop a copy sent again after a crash between sending and recording."""

    delivery_key: str
    channel: str
    recipient: str  # an email address, a phone number (+84…), a webhook URL, an account id
    subject: str
    body: str  # plain text; for a webhook, the JSON body exactly as signed and sent
    language: str = "vi"
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class DeliveryRefused(Exception):
    """Permanent: the other side refused this message; sending it again cannot help."""


class DeliveryFailed(Exception):
    """Temporary: the other side could not take it now (5xx, time-out); try again later."""


class Channel(Protocol):
    """What every channel adapter is. ``send`` blocks at most the adapter's time-out."""

    name: str

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver ``message``; return the provider's id for it, if it gives one."""
        ...
