"""The requester's files as intake keeps them (``request_attachments``): the reader that hands
one back to the staff who handle the request (:class:`SqlRequestFiles`). They were judged when
they arrived by the platform's one inspector (:mod:`giaitrinh_common.file_inspector`)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from giaitrinh_intake.adapters.orm import request_attachments, requests


@dataclass(frozen=True)
class StoredFile:
    """A kept file with the locality of its request (who may read it depends on that)."""

    id: str
    locality_code: str
    filename: str
    media_type: str
    content: bytes


class SqlRequestFiles:
    """The files kept with the requests (``request_attachments``), read one at a time by id, on
    the unit of work's session. The caller decides who may read one (staff of its locality)."""

    def __init__(self, session):
        self.session = session

    def get(self, file_id: str) -> StoredFile | None:
        row = self.session.execute(
            sa.select(request_attachments.c.id, requests.c.locality_code, request_attachments.c.filename,
                      request_attachments.c.media_type, request_attachments.c.content)
            .join(requests, requests.c.id == request_attachments.c.request_id)
            .where(request_attachments.c.id == file_id)).first()
        return StoredFile(*row) if row is not None else None
