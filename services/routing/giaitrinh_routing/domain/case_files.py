"""Tệp đính kèm của hồ sơ — the files a case carries: those the requester attached to the
request (intake keeps them; routing knows what they are from ``request.submitted``) and those
an official attaches to an explanation (routing keeps them). A file's name may be personal
(people name a scan after themselves): it is shown to the staff of the case's locality, never on
a public page.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Where the staff fetch a request's file: a path the gateway sends to intake, which keeps it.
REQUEST_FILE_PATH = "/console/tep-yeu-cau/{id}"
# Where the staff fetch an explanation's file: routing keeps those itself.
ANSWER_FILE_PATH = "/console/tep-giai-trinh/{id}"


@dataclass(frozen=True)
class CaseFile:
    """What a file is: its id, name, proven type and size in bytes — never its content."""

    id: str
    filename: str
    media_type: str
    size: int

    @classmethod
    def from_event(cls, item: Mapping[str, Any]) -> CaseFile:
        return cls(str(item["id"]), str(item["filename"]), str(item["media_type"]), int(item["size"]))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "media_type": self.media_type, "size": self.size}


def request_files(submitted: Mapping[str, Any]) -> list[CaseFile]:
    """The requester's files ``request.submitted`` lists (none for a request without, or one
    submitted before the event listed them)."""
    return [CaseFile.from_event(item) for item in submitted.get("attachments") or ()]


# Khóa mở tệp: each file of an explanation gets, when the answer is recorded, a random key that
# opens that one file to whoever holds it, published or not. ``case.answered`` carries it to
# intake, which shows it only on the requester's own page (their secret link): so the requester
# reads the files of the explanation given to them even when they did not agree to publish it.
# Routing keeps only its SHA-256, as it keeps a publisher's key.
ACCESS_KEY_BYTES = 24  # 192 random bits: 32 URL-safe characters
MAX_ACCESS_KEY = 64  # anything longer is not a key this platform gave; refused before hashing


def new_access_key() -> str:
    return secrets.token_urlsafe(ACCESS_KEY_BYTES)


def access_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_opens(given: str | None, kept_digest: str | None) -> bool:
    """Whether ``given`` is the key of the file whose key's digest is ``kept_digest``: compared in
    constant time. A file kept before files had keys (no digest) opens to no key."""
    if not given or not kept_digest or len(given) > MAX_ACCESS_KEY:
        return False
    return hmac.compare_digest(access_key_digest(given), kept_digest)
