"""Webhooks to registered systems, signed in the style of Standard Webhooks
(https://www.standardwebhooks.com/).

Each delivery is one POST of the message's JSON body, exactly as signed, with:

  webhook-id         the delivery key: the same for every try of one message, so a receiver
                     drops a copy it has seen (a retry, or a send repeated after a crash between
                     sending and recording)
  webhook-timestamp  whole seconds since the epoch, when this try was signed; a receiver
                     refuses one far from its own clock (replays)
  webhook-signature  ``v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`` for each
                     secret that signs now, separated by spaces: a rotation's overlap lists two

A secret is written ``whsec_`` + base64 of its key (24 to 64 random bytes); the HMAC key is the
decoded bytes. A receiver verifies with :func:`verify` or any Standard Webhooks library.

``recipient`` of a webhook message is the subscription's id: its address and secrets are read
at each try, so a rotation or a new address applies to a retry, and a subscription switched off
stops its pending messages (refused: "no active subscription").

What the receiver's answer means is :mod:`.outbound_http`'s rule (2xx delivered; 408, 425, 429
and 5xx, time-outs and broken connections retried; other 4xx and redirects refused).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_secrets
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from giaitrinh_notify.adapters.outbound_http import exchange, raise_for_status
from giaitrinh_notify.domain.channels import WEBHOOK, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.webhooks import WebhookSubscription, url_problems

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
TOLERANCE_SECONDS = 5 * 60  # Standard Webhooks' suggested window for a receiver's clock check
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"


def new_signing_secret() -> str:
    """A fresh secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret; ValueError for one that is not."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a signing secret is whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("a signing secret's key is 24 to 64 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature, ``v1,<base64>``, of ``body`` sent as ``msg_id`` at ``timestamp``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(signing: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one signature per secret, space-separated."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in signing)


def verify(header: str, secret: str, msg_id: str, timestamp: str, body: bytes, *, now: float,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: whether one of the header's ``v1`` signatures is ``secret``'s for
    this id, timestamp and body, and the timestamp is within ``tolerance`` of ``now``."""
    if not timestamp.isascii() or not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, msg_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, given) for given in header.split() if given.startswith("v1,"))


class WebhookChannel:
    """The webhook channel; keeps :class:`~giaitrinh_notify.domain.channels.Channel`.

    ``subscription``: the subscription of an id, or None (a port: the runtime reads notify's
    table; a test passes a dict's ``get``). ``clock``: epoch seconds, injected."""

    name = WEBHOOK

    def __init__(self, subscription: Callable[[str], WebhookSubscription | None], *,
                 timeout: float = 10.0, allow_http: bool = False,
                 clock: Callable[[], float] = time.time):
        self.subscription = subscription
        self.timeout = timeout
        self.allow_http = allow_http
        self.clock = clock

    @classmethod
    def from_settings(cls, settings, subscription: Callable[[str], WebhookSubscription | None], *,
                      clock: Callable[[], float] = time.time) -> WebhookChannel:
        """The channel as notify's settings configure it (NOTIFY_WEBHOOK_TIMEOUT,
        NOTIFY_WEBHOOK_ALLOW_HTTP), reading subscriptions through ``subscription``."""
        return cls(subscription, timeout=settings.webhook_timeout, allow_http=settings.webhook_allow_http,
                   clock=clock)

    def request(self, message: OutgoingMessage) -> tuple[str, dict[str, str], bytes]:
        """The address, headers and body of this try of ``message``, signed now."""
        sub = self.subscription(message.recipient)
        if sub is None or not sub.active:
            raise DeliveryRefused(f"no active webhook subscription {message.recipient[:64]!r}")
        if url_problems(sub.url, allow_http=self.allow_http):
            raise DeliveryRefused(f"the subscription's address may not receive webhooks: {sub.url[:200]!r}")
        now = self.clock()
        signing = sub.signing_secrets(datetime.fromtimestamp(now, UTC))
        if not signing:
            raise DeliveryRefused(f"webhook subscription {sub.id} has no secret that signs now")
        timestamp = int(now)
        body = message.body.encode("utf-8")
        headers = {k: v for k, v in message.headers.items()
                   if k.lower() not in {ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER, "content-type"}}
        headers.update({"Content-Type": "application/json", ID_HEADER: message.delivery_key,
                        TIMESTAMP_HEADER: str(timestamp),
                        SIGNATURE_HEADER: signature_header(signing, message.delivery_key, timestamp, body)})
        return sub.url, headers, body

    def send(self, message: OutgoingMessage) -> str | None:
        url, headers, body = self.request(message)
        answer = exchange(url, method="POST", headers=headers, body=body, timeout=self.timeout)
        raise_for_status(answer, "the webhook receiver")
        return None
