"""SQL storage of what the submission form adds to a request: its details, attachments, the
people who joined it, and the requester's standing (on the unit of work's session; every write
joins the caller's transaction)."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from giaitrinh_intake.adapters.group_commit import CollectingRepository, Write
from giaitrinh_intake.adapters.orm import (
    request_attachments,
    request_joiners,
    requests,
    submission_details,
    timeline_entries,
)
from giaitrinh_intake.domain.attachments import Attachment
from giaitrinh_intake.domain.model import Location, SubmissionDetails
from giaitrinh_intake.domain.requester_link import JoinerStanding, RequesterStanding
from giaitrinh_intake.domain.similar import Candidate
from giaitrinh_intake.domain.timeline import PUBLIC_STATUS

SIMILAR_POOL = 500  # the locality's most recent requests compared with a new one


# Built once: a statement made afresh on every submit is walked again for its cache key.
_INSERT_DETAILS = sa.insert(submission_details)
_INSERT_ATTACHMENTS = sa.insert(request_attachments)


def _aware(dt: datetime | None) -> datetime | None:
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


class SqlSubmissionRepository(CollectingRepository):
    def add(self, request_id: str, details: SubmissionDetails, attachments: list[Attachment]) -> None:
        # Values as parameters, not .values(...): the statement is then cached on the table alone
        # (with .values, SQLAlchemy walks every value for its cache key on each submission).
        rows: list[Write] = [(_INSERT_DETAILS, dict(
            request_id=request_id, decision_concerned=details.decision_concerned,
            location_text=details.location.text, latitude=details.location.latitude,
            longitude=details.location.longitude, id_number=details.id_number,
            consent_to_publish=details.consent_to_publish, link_sha256=details.link_sha256))]
        rows += [(_INSERT_ATTACHMENTS, dict(
            id=a.id, request_id=request_id, position=position, filename=a.filename,
            media_type=a.media_type, size=a.size, sha256=a.sha256, content=a.data))
            for position, a in enumerate(attachments)]
        if self.collected is not None:
            self.collected.extend(rows)
            return
        self.session.execute(*rows[0])
        if len(rows) > 1:
            self.session.execute(_INSERT_ATTACHMENTS, [row for _, row in rows[1:]])

    def details(self, request_id: str) -> SubmissionDetails:
        """The request's details; the defaults for one that came without (before the form, or
        from another system)."""
        row = self.session.execute(sa.select(submission_details).where(
            submission_details.c.request_id == request_id)).mappings().first()
        joiners = self._joiners(request_id)
        if row is None:
            return SubmissionDetails(joiner_count=joiners)
        return SubmissionDetails(
            decision_concerned=row["decision_concerned"],
            location=Location(row["location_text"], row["latitude"], row["longitude"]),
            id_number=row["id_number"], consent_to_publish=row["consent_to_publish"],
            link_sha256=row["link_sha256"],
            standing=RequesterStanding(_aware(row["withdrawn_at"]), row["rating"], _aware(row["rated_at"]),
                                       _aware(row["disputed_at"])),
            joiner_count=joiners)

    def request_id_by_link(self, link_sha256: str) -> str | None:
        return self.session.execute(sa.select(submission_details.c.request_id).where(
            submission_details.c.link_sha256 == link_sha256)).scalar_one_or_none()

    def save_standing(self, request_id: str, standing: RequesterStanding) -> None:
        self.session.execute(sa.update(submission_details).where(
            submission_details.c.request_id == request_id).values(
            withdrawn_at=standing.withdrawn_at, rating=standing.rating, rated_at=standing.rated_at,
            disputed_at=standing.disputed_at))

    def attachments(self, request_id: str) -> list[Attachment]:
        rows = self.session.execute(sa.select(request_attachments).where(
            request_attachments.c.request_id == request_id).order_by(request_attachments.c.position)).mappings()
        return [Attachment(r["filename"], r["media_type"], r["content"], r["id"]) for r in rows]

    def _joiners(self, request_id: str) -> int:
        # Those who left are no longer counted.
        return self.session.execute(sa.select(sa.func.count()).select_from(request_joiners).where(
            request_joiners.c.request_id == request_id, request_joiners.c.left_at.is_(None))).scalar_one()

    def add_joiner(self, request_id: str, now: datetime, full_name: str, email: str, phone: str,
                   wants_notifications: bool, link_sha256: str | None = None) -> tuple[int, int]:
        """Record a joiner with the hash of their secret link; (their id, the number of joiners
        after them)."""
        joiner_id = self.session.execute(sa.insert(request_joiners).values(
            request_id=request_id, joined_at=now, full_name=full_name, email=email, phone=phone,
            wants_notifications=wants_notifications, link_sha256=link_sha256)
            .returning(request_joiners.c.id)).scalar_one()
        return joiner_id, self._joiners(request_id)

    def note_joined_event(self, joiner_id: int, event_id: str) -> None:
        """The id of the request.joined event that told of the joiner (notify keys their contact by it)."""
        self.session.execute(sa.update(request_joiners).where(request_joiners.c.id == joiner_id).values(
            joined_event_id=event_id))

    def joiner_by_link(self, link_sha256: str) -> tuple[int, str, str | None, JoinerStanding] | None:
        """The joiner whose secret link this is: (their id, the request's id, the joined event's
        id, their standing); None when no joiner has it."""
        row = self.session.execute(sa.select(request_joiners).where(
            request_joiners.c.link_sha256 == link_sha256)).mappings().first()
        if row is None:
            return None
        return row["id"], row["request_id"], row["joined_event_id"], JoinerStanding(
            withdrawn_at=_aware(row["left_at"]), rating=row["rating"], rated_at=_aware(row["rated_at"]))

    def save_joiner_standing(self, joiner_id: int, standing: JoinerStanding) -> None:
        self.session.execute(sa.update(request_joiners).where(request_joiners.c.id == joiner_id).values(
            left_at=standing.withdrawn_at, rating=standing.rating, rated_at=standing.rated_at))

    def joiner_count(self, request_id: str) -> int:
        return self._joiners(request_id)

    def candidates(self, locality_code: str, withdrawn_status: str = "withdrawn") -> list[Candidate]:
        """The locality's recent requests with their public status (the case's state after its
        latest step), to compare a new one with."""
        latest = (sa.select(timeline_entries.c.state).where(
            timeline_entries.c.request_id == requests.c.id, timeline_entries.c.case_version.is_not(None))
            .order_by(timeline_entries.c.case_version.desc()).limit(1).scalar_subquery())
        rows = self.session.execute(
            sa.select(requests.c.tracking_code, requests.c.title, requests.c.content, latest.label("state"),
                      submission_details.c.withdrawn_at)
            .select_from(requests.outerjoin(submission_details, submission_details.c.request_id == requests.c.id))
            .where(requests.c.locality_code == locality_code)
            .order_by(requests.c.submitted_at.desc()).limit(SIMILAR_POOL)).all()
        return [Candidate(r.tracking_code, r.title, f"{r.title} {r.content}",
                          withdrawn_status if r.withdrawn_at is not None else _public_status(r.state))
                for r in rows]


def _public_status(state: str | None) -> str:
    # The same reading as AccountabilityRequest.status, from the state after the latest step.
    return "submitted" if state is None else PUBLIC_STATUS.get(state, state)
