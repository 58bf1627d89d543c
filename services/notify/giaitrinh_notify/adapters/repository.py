"""The in-app inbox, on the unit of work's session."""
from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_notify.adapters.orm import notifications as n
from giaitrinh_notify.domain.messages import Notification


class SqlInbox:
    def __init__(self, session: Session):
        self.session = session

    def has(self, request_id: str, topic: str, step: int = 0) -> bool:
        return self.session.execute(sa.select(n.c.id).where(
            (n.c.request_id == request_id) & (n.c.topic == topic) & (n.c.step == step))
        ).first() is not None

    def add(self, note: Notification) -> None:
        self.session.execute(sa.insert(n).values(
            request_id=note.request_id, tracking_code=note.tracking_code, topic=note.topic,
            title=note.title, body=note.body, created_at=note.created_at, step=note.step,
            title_en=note.title_en, body_en=note.body_en))

    def for_tracking_code(self, code: str) -> list[Notification]:
        """The messages in the order they were written: the consumer applies a request's
        events in the order of its history, so that is the order of the steps (a clock that
        steps back cannot reorder them)."""
        rows = self.session.execute(sa.select(n).where(n.c.tracking_code == code)
                                    .order_by(n.c.id)).mappings()
        return [Notification(r["request_id"], r["tracking_code"], r["topic"], r["title"], r["body"],
                             r["created_at"] if r["created_at"].tzinfo
                             else r["created_at"].replace(tzinfo=UTC), r["step"], r["title_en"],
                             r["body_en"]) for r in rows]
