"""Tệp đính kèm: what a person may attach — a requester to a request (intake), an official to an
explanation (routing) — and how each file is judged. The one set of rules both services apply.

A file is judged by its content, never by its name or the type the browser claims: a program
named ``anh.jpg`` is refused. Photos (JPEG, PNG) and PDF documents are accepted, at most
:data:`MAX_ATTACHMENTS` of them and :data:`MAX_FILE_BYTES` each. A photo is decoded and written
again, so what is kept is pixels only: its EXIF block (which holds where and when it was taken,
and the phone that took it) is not. A photo of more than :data:`MAX_PIXELS` pixels is refused
before it is decoded (a decompression bomb: a few KiB that would unpack to gigabytes).

Reading the bytes is the :class:`FileInspector` port's job (an image and a PDF library:
:mod:`giaitrinh_common.file_inspector`); the rules and their messages are here, in the standard
library alone, so that a service's domain may name them (intake's does).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_ATTACHMENTS = 5
MAX_FILE_BYTES = 5 * 1024 * 1024  # a phone's photo, or a scanned decision of a few pages
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; far beyond that, a bomb
MAX_FILENAME = 120
# A form (or multipart API call) with every file at its largest and its text: the body limit of
# the routes that take files, and of the gateway's locations for them (27 MiB).
MAX_UPLOAD_BODY = MAX_ATTACHMENTS * MAX_FILE_BYTES + 2 * 1024 * 1024
# What intake keeps, by the type the content proved to be, with the extension it is kept under.
ACCEPTED = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the sender gave it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Attachment:
    """A file accepted: the bytes to keep (re-encoded for a photo), their proven type, and the id
    it is known by from then on (the events name it; it is fetched by it)."""

    filename: str
    media_type: str
    data: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def metadata(self) -> dict[str, object]:
        """What may be said of the file outside the service that keeps it: never its bytes."""
        return {"id": self.id, "filename": self.filename, "media_type": self.media_type, "size": self.size}


class Unacceptable(Exception):
    """The inspector's verdict on a file it refuses: a code and a message in both languages."""

    def __init__(self, code: str, vi: str, en: str):
        super().__init__(en)
        self.code, self.vi, self.en = code, vi, en


NOT_ACCEPTED = ("unsupported_file_type", "Chỉ nhận ảnh (JPEG, PNG) hoặc tài liệu PDF; nội dung tệp này không phải.",
                "Only photos (JPEG, PNG) or PDF documents are accepted; this file's content is neither.")
TOO_MANY_PIXELS = ("image_too_large", f"Ảnh quá lớn (quá {MAX_PIXELS // 1_000_000} triệu điểm ảnh).",
                   f"The image is too large (over {MAX_PIXELS // 1_000_000} million pixels).")
DAMAGED = ("damaged_file", "Không đọc được tệp này; tệp có thể bị hỏng.",
           "This file cannot be read; it may be damaged.")


class FileInspector(ABC):
    """Reads a file's bytes and says what they are."""

    @abstractmethod
    def inspect(self, data: bytes) -> tuple[str, bytes]:
        """``(media_type, bytes to keep)`` for a photo or a PDF — a photo decoded and written
        again without its metadata, a PDF as it came once it parses — or raise
        :class:`Unacceptable` (``unsupported_file_type``, ``image_too_large``, ``damaged_file``)."""


def safe_filename(name: str, media_type: str) -> str:
    """The sender's file name without folders or control characters, shortened, and ending in
    the extension of the type its content proved (so nobody downloads ``x.jpg.exe``)."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    stem = base.rsplit(".", 1)[0].strip(" .") or "tep"
    ext = ACCEPTED[media_type]
    return stem[: MAX_FILENAME - len(ext)] + ext


FILE_TOO_LARGE = "file_too_large"  # the problem's code for a file over MAX_FILE_BYTES


def refusal_status(codes: Iterable[str]) -> int:
    """The HTTP status of a refused submission or answer whose problems have ``codes``: 413 when
    one is a file over the size limit (as for a body over its limit), 422 otherwise. Every
    problem is still named in the one answer."""
    return 413 if FILE_TOO_LARGE in codes else 422


def judge(uploads: list[Upload], inspector: FileInspector) -> tuple[list[Attachment], list[dict]]:
    """The files accepted, and a problem (``{"field", "code", "message": {vi, en}}``) for each
    refused one, named ``attachments[<n>]`` (n from 0 in the order sent) so the form points at it."""
    accepted: list[Attachment] = []
    problems: list[dict] = []

    def problem(field: str, code: str, vi: str, en: str) -> None:
        problems.append({"field": field, "code": code, "message": {"vi": vi, "en": en}})

    files = [u for u in uploads if u.data or u.filename]  # an empty file input sends neither
    if len(files) > MAX_ATTACHMENTS:
        problem("attachments", "too_many_files", f"Tối đa {MAX_ATTACHMENTS} tệp đính kèm.",
                f"At most {MAX_ATTACHMENTS} files may be attached.")
        return [], problems
    for n, upload in enumerate(files):
        field = f"attachments[{n}]"
        if not upload.data:
            problem(field, "empty_file", "Tệp đính kèm trống.", "The attached file is empty.")
        elif len(upload.data) > MAX_FILE_BYTES:
            problem(field, FILE_TOO_LARGE, f"Mỗi tệp tối đa {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                    f"Each file may be at most {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        else:
            try:
                media_type, kept = inspector.inspect(upload.data)
            except Unacceptable as refused:
                problem(field, refused.code, refused.vi, refused.en)
                continue
            accepted.append(Attachment(safe_filename(upload.filename, media_type), media_type, kept))
    return accepted, problems
