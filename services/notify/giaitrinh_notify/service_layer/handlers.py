"""Notify's handlers (email, SMS and webhooks arrive with the notify issue)."""
from __future__ import annotations

from datetime import datetime

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.domain.messages import notification_for
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork


def tell_requester(event: CloudEvent, uow: NotifyUnitOfWork, now: datetime) -> None:
    note = notification_for(event.type, event.data["request_id"], event.data["tracking_code"], now)
    if note is None or uow.inbox_messages.has(note.request_id, note.topic):
        return
    uow.inbox_messages.add(note)
