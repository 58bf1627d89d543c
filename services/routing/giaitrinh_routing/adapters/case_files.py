"""The files of each case, on the unit of work's session: the request's (``case_request_files``:
what they are; intake keeps them) and its explanations' (``answer_files``: kept here, bytes and
all, in the transaction that records the answer, each with the digest of the key that opens it
to the requester), with whether the requester agreed that the explanation be published
(``case_publication``)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_common.attachments import Attachment
from giaitrinh_routing.adapters.orm import answer_files, case_publication, case_request_files, case_steps, cases
from giaitrinh_routing.domain.case_files import CaseFile, access_key_digest, new_access_key


@dataclass(frozen=True)
class AnswerFile:
    """An explanation's kept file, with what deciding who may read it needs: the case's
    locality, the version of the answer that attached it, and the digest of its key (None for a
    file kept before files had keys)."""

    file: CaseFile
    case_id: str
    locality_code: str
    case_version: int
    content: bytes
    access_key_sha256: str | None = None


class SqlCaseFiles:
    """Written with the case and its answers; read by those who may see the case (the caller
    checks)."""

    def __init__(self, session: Session):
        self.session = session
        # The keys given to the files added in this transaction, by file id: the unit of work
        # puts each in the case.answered it writes on commit. Only their digests are stored.
        self.keys_given: dict[str, str] = {}

    def add_request_files(self, case_id: str, files: list[CaseFile]) -> None:
        if files:
            self.session.execute(sa.insert(case_request_files), [
                {"case_id": case_id, "position": n, **f.as_dict()} for n, f in enumerate(files)])

    def request_files(self, case_id: str) -> list[CaseFile]:
        rows = self.session.execute(
            sa.select(case_request_files).where(case_request_files.c.case_id == case_id)
            .order_by(case_request_files.c.position)).mappings()
        return [CaseFile(r["id"], r["filename"], r["media_type"], r["size"]) for r in rows]

    def add_answer_files(self, case_id: str, case_version: int, files: Sequence[Attachment]) -> None:
        """Keep an answer's files, each with a new key (see :attr:`keys_given`)."""
        if files:
            keys = {a.id: new_access_key() for a in files}
            self.session.execute(sa.insert(answer_files), [
                {"id": a.id, "case_id": case_id, "case_version": case_version, "position": n,
                 "filename": a.filename, "media_type": a.media_type, "size": a.size, "sha256": a.sha256,
                 "content": a.data, "access_key_sha256": access_key_digest(keys[a.id])}
                for n, a in enumerate(files)])
            self.keys_given.update(keys)

    def answer_files(self, case_id: str) -> dict[int, list[CaseFile]]:
        """Each answer's files (by the case's version the answer made), without their bytes."""
        rows = self.session.execute(
            sa.select(answer_files.c.id, answer_files.c.filename, answer_files.c.media_type,
                      answer_files.c.size, answer_files.c.case_version)
            .where(answer_files.c.case_id == case_id)
            .order_by(answer_files.c.case_version, answer_files.c.position)).all()
        out: dict[int, list[CaseFile]] = {}
        for r in rows:
            out.setdefault(r.case_version, []).append(CaseFile(r.id, r.filename, r.media_type, r.size))
        return out

    def answer_file(self, file_id: str) -> AnswerFile | None:
        row = self.session.execute(
            sa.select(answer_files, cases.c.locality_code)
            .join(cases, cases.c.id == answer_files.c.case_id)
            .where(answer_files.c.id == file_id)).mappings().first()
        if row is None:
            return None
        return AnswerFile(CaseFile(row["id"], row["filename"], row["media_type"], row["size"]), row["case_id"],
                          row["locality_code"], row["case_version"], row["content"], row["access_key_sha256"])

    def set_publication(self, case_id: str, consent_to_publish: bool) -> None:
        self.session.execute(sa.insert(case_publication).values(case_id=case_id,
                                                                 consent_to_publish=consent_to_publish))

    def published(self, file: AnswerFile) -> bool:
        """Whether the public may read ``file``: its case's requester agreed that the explanation
        be published, and it belongs to the case's latest answer — the one intake's portal shows
        (an upheld dispute asks for another; the earlier one's files are no longer shown)."""
        consent = self.session.execute(sa.select(case_publication.c.consent_to_publish).where(
            case_publication.c.case_id == file.case_id)).scalar_one_or_none()
        return bool(consent) and self.latest_answer_version(file.case_id) == file.case_version

    def latest_answer_version(self, case_id: str) -> int | None:
        """The case's version after its latest answer (an upheld dispute asks for another)."""
        return self.session.execute(
            sa.select(sa.func.max(case_steps.c.version))
            .where(case_steps.c.case_id == case_id, case_steps.c.action == "answer")).scalar_one_or_none()
