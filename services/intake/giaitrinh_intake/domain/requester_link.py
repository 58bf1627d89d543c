"""Đường dẫn bí mật của người yêu cầu: the link that lets the requester, and only them, act on
their request without an account — withdraw it before the answer (*rút yêu cầu*, Decree
59/2019), rate the answer, or dispute it.

The link is shown once, on the receipt, and sent in the requester's own notices; intake keeps
only its SHA-256, so a copy of the database opens nothing. 32 random bytes make guessing
hopeless, so an unsalted hash suffices (it is a key, not a password), and it lets the request be
found by the hash alone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from giaitrinh_common import randomness

LINK_PREFIX = "/cua-toi/"  # the portal's page for a requester's own request
_SECRET_CHARS = 43  # randomness.token_urlsafe(32)


def new_secret() -> str:
    return randomness.token_urlsafe(32)


def digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def link_path(secret: str) -> str:
    """The path of the requester's page, which notices turn into an address."""
    return LINK_PREFIX + secret


def well_formed(secret: str) -> bool:
    """Whether the text could be a secret at all (checked before any look-up)."""
    return len(secret) == _SECRET_CHARS and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in secret)


class ActionRefused(Exception):
    """A requester's action the request's state does not allow: an HTTP status, a code and the
    message in both languages."""

    def __init__(self, status: int, code: str, vi: str, en: str):
        super().__init__(en)
        self.status, self.code, self.vi, self.en = status, code, vi, en


WITHDRAWN_ALREADY = ActionRefused(
    410, "link_used", "Yêu cầu đã được rút; đường dẫn này không còn dùng được.",
    "The request has been withdrawn; this link can no longer be used.")
# States after which there is nothing to withdraw: the explanation was given, or the case ended.
_AFTER_THE_ANSWER = frozenset({"answered", "disputed", "closed", "refused", "withdrawn", "merged"})
MAX_REASON = 2000
MAX_COMMENT = 2000


@dataclass
class RequesterStanding:
    """What the requester did with their link. Each action is taken once: a second rating or
    dispute is refused (409), and after withdrawal the link is used up (410)."""

    withdrawn_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    disputed_at: datetime | None = None

    def _usable(self) -> None:
        if self.withdrawn_at is not None:
            raise WITHDRAWN_ALREADY

    def withdraw(self, status: str, now: datetime) -> None:
        """Rút yêu cầu: allowed until the explanation is given (Decree 59/2019)."""
        self._usable()
        if status in _AFTER_THE_ANSWER:
            raise ActionRefused(409, "too_late_to_withdraw",
                                "Không thể rút yêu cầu sau khi đã giải trình hoặc đã kết thúc.",
                                "A request cannot be withdrawn once it has been explained or has ended.")
        self.withdrawn_at = now

    def rate(self, answered: bool, rating: int, now: datetime) -> None:
        """Đánh giá: once, 1 to 5, and only once there is an explanation to rate."""
        self._usable()
        if not answered:
            raise ActionRefused(409, "not_answered_yet", "Chưa có nội dung giải trình để đánh giá.",
                                "There is no explanation to rate yet.")
        if self.rated_at is not None:
            raise ActionRefused(409, "already_rated", "Bạn đã đánh giá nội dung giải trình này.",
                                "You have already rated this explanation.")
        self.rating, self.rated_at = rating, now

    def dispute(self, answered: bool, now: datetime) -> None:
        """Không đồng ý: once, and only once there is an explanation to dispute."""
        self._usable()
        if not answered:
            raise ActionRefused(409, "not_answered_yet", "Chưa có nội dung giải trình để khiếu nại.",
                                "There is no explanation to dispute yet.")
        if self.disputed_at is not None:
            raise ActionRefused(409, "already_disputed", "Bạn đã không đồng ý với nội dung giải trình này.",
                                "You have already disputed this explanation.")
        self.disputed_at = now


LEFT_ALREADY = ActionRefused(
    410, "link_used", "Bạn đã rút khỏi yêu cầu này; đường dẫn này không còn dùng được.",
    "You have left this request; this link can no longer be used.")


@dataclass
class JoinerStanding(RequesterStanding):
    """What a person who joined the request (*cùng kiến nghị*) did with their own link. They may
    leave it at any time (*rút khỏi yêu cầu*: they are no longer counted nor told), and rate the
    explanation once, as the requester may; the dispute is the requester's own (403): the
    request, not each of its joiners, goes to the supervisor."""

    def _usable(self) -> None:
        if self.withdrawn_at is not None:
            raise LEFT_ALREADY

    def withdraw(self, status: str, now: datetime) -> None:
        self._usable()
        self.withdrawn_at = now

    def dispute(self, answered: bool, now: datetime) -> None:
        self._usable()
        raise ActionRefused(403, "requester_only",
                            "Chỉ người gửi yêu cầu mới có thể không đồng ý với nội dung giải trình.",
                            "Only the person who filed the request may dispute the explanation.")
