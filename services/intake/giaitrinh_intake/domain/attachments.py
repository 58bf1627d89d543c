"""Tệp đính kèm of a request: the platform's one set of rules for attached files
(:mod:`giaitrinh_common.attachments`, pure standard library — the shared module intake's domain
may import besides the tracking codes' form), which routing applies to an explanation's files
too. Intake keeps the requester's files and says what they are in ``request.submitted``."""
from __future__ import annotations

from giaitrinh_common.attachments import (
    ACCEPTED,
    DAMAGED,
    MAX_ATTACHMENTS,
    MAX_FILE_BYTES,
    MAX_FILENAME,
    MAX_PIXELS,
    NOT_ACCEPTED,
    TOO_MANY_PIXELS,
    Attachment,
    FileInspector,
    Unacceptable,
    Upload,
    judge,
    safe_filename,
)

__all__ = ["ACCEPTED", "DAMAGED", "MAX_ATTACHMENTS", "MAX_FILENAME", "MAX_FILE_BYTES", "MAX_PIXELS", "NOT_ACCEPTED",
           "TOO_MANY_PIXELS", "Attachment", "FileInspector", "Unacceptable", "Upload", "judge", "safe_filename"]
