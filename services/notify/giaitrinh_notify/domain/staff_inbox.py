"""Hộp thư cán bộ — the in-app inbox of officials, heads and supervisors: what notify told them
(a new case, a deadline near or missed, an escalation, a violation flag), unread until they
open it. Keyed by the account id of the sign-in token; nobody reads another person's inbox
(their messages answer 404, as if they did not exist)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StaffMessage:
    """One message in one person's inbox. ``delivery_key`` is the ledger's: the same message
    delivered twice is one row."""

    id: int
    delivery_key: str
    account_id: str
    subject: str
    body: str
    created_at: datetime
    language: str = "vi"
    locality_code: str | None = None
    request_id: str | None = None
    topic: str = ""
    link: str | None = None
    read_at: datetime | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def safe_link(link: str | None) -> str | None:
    """A message's link, kept only when it is a path on this site (``/console/…``): a message
    must not send a reader elsewhere (an open redirect by way of a notification)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    if len(link) > 500 or not link.isascii() or any(ch.isspace() or ord(ch) < 32 for ch in link):
        return None
    return link
