"""SQL implementation of :class:`RequestRepository` on the unit of work's session (or, for a new
submission written by a group commit, collecting its rows: :mod:`.group_commit`)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from giaitrinh_intake.adapters.group_commit import CollectingRepository
from giaitrinh_intake.adapters.orm import answers, requests, timeline_entries
from giaitrinh_intake.domain.model import (
    AccountabilityRequest,
    Channel,
    ExternalRef,
    Field,
    Locality,
    Requester,
    RequesterType,
    RequestKind,
    TimelineEntry,
)
from giaitrinh_intake.domain.ports import RequestRepository, TrackingCodeTaken
from giaitrinh_intake.domain.timeline import Commitment, PublicAnswer, PublishedFile

# Built once: a statement made afresh on every submit is walked again for its cache key.
_INSERT_REQUEST = sa.insert(requests)
_INSERT_STEP = sa.insert(timeline_entries)


@contextmanager
def tracking_code_refused(tracking_code: str) -> Iterator[None]:
    """The unique index refused ``tracking_code`` (given to another request already): say so as
    :class:`TrackingCodeTaken`, which the caller answers by trying again with a new code."""
    try:
        yield
    except IntegrityError as exc:
        if "tracking_code" in str(exc.orig):
            raise TrackingCodeTaken(tracking_code) from exc
        raise


def _aware(dt):
    # SQLite hands back naive datetimes; everything we store is UTC.
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class SqlRequestRepository(CollectingRepository, RequestRepository):
    def add(self, request: AccountabilityRequest) -> None:
        r = request.requester
        # Values as parameters, not .values(...): the statement's cache key then no longer walks
        # every value on each submit (about a fifth of the submit's CPU, bench/README.md).
        with tracking_code_refused(request.tracking_code):
            self._insert(_INSERT_REQUEST, dict(
                id=request.id, tracking_code=request.tracking_code, kind=request.kind.value,
                channel=request.channel.value, field=request.field.value,
                locality_code=request.locality.code, locality_name=request.locality.name,
                province_code=request.locality.province_code, title=request.title,
                content=request.content, requester_type=r.type.value, full_name=r.full_name,
                address=r.address, email=r.email, phone=r.phone,
                wants_notifications=r.wants_notifications, submitted_at=request.submitted_at,
                source_system=request.external_ref.source_system if request.external_ref else None,
                external_id=request.external_ref.external_id if request.external_ref else None,
                received_by=request.received_by or None, received_on=request.received_on,
            ))
        for entry in request.timeline:
            self._insert(_INSERT_STEP, self._step_row(request.id, entry))

    def _insert(self, statement: sa.Insert, row: dict) -> None:
        if self.collected is not None:
            self.collected.append((statement, row))
        else:
            self.session.execute(statement, row)

    @staticmethod
    def _step_row(request_id: str, entry: TimelineEntry) -> dict:
        return dict(request_id=request_id, at=entry.at, step=entry.step, label_vi=entry.label_vi,
                    label_en=entry.label_en, case_version=entry.case_version, state=entry.state,
                    due_by=entry.due_by, on_time=entry.on_time)

    def append_step(self, request_id: str, entry: TimelineEntry) -> None:
        self.session.execute(_INSERT_STEP, self._step_row(request_id, entry))

    def add_answer(self, request_id: str, answer: PublicAnswer,
                   file_keys: Mapping[str, str] | None = None) -> None:
        self.session.execute(sa.insert(answers).values(
            request_id=request_id, case_version=answer.case_version,
            answered_at=answer.answered_at, on_time=answer.on_time,
            explanation=answer.explanation, legal_basis=answer.legal_basis,
            commitments=[{"content": c.content, "unit_code": c.unit_code,
                          "due_on": c.due_on.isoformat()} for c in answer.commitments],
            files=[{"id": f.id, "media_type": f.media_type, "size": f.size} for f in answer.files],
            file_keys=dict(file_keys) if file_keys else None))

    def answer_file_keys(self, request_id: str, case_version: int) -> dict[str, str]:
        # Read apart from the answer itself (``_load`` leaves the keys out of the request): what
        # the public sees is built from the request as loaded, and so cannot carry a key.
        keys = self.session.execute(sa.select(answers.c.file_keys).where(
            answers.c.request_id == request_id, answers.c.case_version == case_version)).scalar_one_or_none()
        return dict(keys or {})

    def _load(self, where) -> AccountabilityRequest | None:
        row = self.session.execute(sa.select(requests).where(where)).mappings().first()
        if row is None:
            return None
        steps = self.session.execute(
            sa.select(timeline_entries).where(timeline_entries.c.request_id == row["id"])
            .order_by(timeline_entries.c.at, timeline_entries.c.id)).mappings().all()
        given = self.session.execute(
            sa.select(answers).where(answers.c.request_id == row["id"])
            .order_by(answers.c.case_version)).mappings().all()
        return AccountabilityRequest(
            id=row["id"], tracking_code=row["tracking_code"], kind=RequestKind(row["kind"]),
            channel=Channel(row["channel"]), field=Field(row["field"]),
            locality=Locality(row["locality_code"], row["locality_name"], row["province_code"]),
            title=row["title"], content=row["content"],
            requester=Requester(RequesterType(row["requester_type"]), row["full_name"],
                                row["address"], row["email"], row["phone"],
                                row["wants_notifications"]),
            submitted_at=_aware(row["submitted_at"]),
            external_ref=(ExternalRef(row["source_system"], row["external_id"])
                          if row["source_system"] else None),
            received_by=row["received_by"] or "", received_on=row["received_on"],
            timeline=[TimelineEntry(_aware(s["at"]), s["step"], s["label_vi"], s["label_en"],
                                    s["case_version"], s["state"], s["due_by"], s["on_time"])
                      for s in steps],
            answers=[PublicAnswer(a["case_version"], _aware(a["answered_at"]), a["on_time"],
                                  a["explanation"], a["legal_basis"],
                                  tuple(Commitment(c["content"], c["unit_code"],
                                                   date.fromisoformat(c["due_on"]))
                                        for c in a["commitments"]),
                                  tuple(PublishedFile(f["id"], f["media_type"], f["size"]) for f in a["files"] or ()))
                     for a in given],
        )

    def get(self, request_id: str) -> AccountabilityRequest | None:
        return self._load(requests.c.id == request_id)

    def by_tracking_code(self, code: str) -> AccountabilityRequest | None:
        return self._load(requests.c.tracking_code == code)

    def by_external_ref(self, ref: ExternalRef) -> AccountabilityRequest | None:
        return self._load(sa.and_(requests.c.source_system == ref.source_system,
                                  requests.c.external_id == ref.external_id))
