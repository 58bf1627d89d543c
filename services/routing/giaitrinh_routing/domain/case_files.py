"""Tệp đính kèm của hồ sơ — the files a case carries: those the requester attached to the
request (intake keeps them; routing knows what they are from ``request.submitted``) and those
an official attaches to an explanation (routing keeps them). A file's name may be personal
(people name a scan after themselves): it is shown to the staff of the case's locality, never on
a public page.
"""
from __future__ import annotations

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
