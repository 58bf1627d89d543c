"""Notify's handlers (email, SMS and webhooks arrive with the notify issue)."""
from __future__ import annotations

from datetime import datetime

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.domain.messages import notice_for
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork


def tell_requester(event: CloudEvent, uow: NotifyUnitOfWork, now: datetime) -> None:
    """Write the step's notice to the requester's in-app inbox, once per request, topic and
    case version (the inbox of event ids already stops a redelivery; this stops the same step
    told again under another event id)."""
    note = notice_for(event.type, event.data, now)
    if note is None or uow.inbox_messages.has(note.request_id, note.topic, note.step):
        return
    uow.inbox_messages.add(note)
