"""Notify's handlers: the requester's in-app line per step, and the deliveries an event causes."""
from __future__ import annotations

from datetime import datetime

from giaitrinh_common.envelope import CloudEvent
from giaitrinh_notify.domain.messages import notice_for
from giaitrinh_notify.domain.rules import Rules
from giaitrinh_notify.service_layer import deliveries
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork


def tell_requester(event: CloudEvent, uow: NotifyUnitOfWork, now: datetime) -> None:
    """Write the step's notice to the requester's in-app inbox, once per request, topic and
    case version (the inbox of event ids already stops a redelivery; this stops the same step
    told again under another event id)."""
    note = notice_for(event.type, event.data, now)
    if note is None or uow.inbox_messages.has(note.request_id, note.topic, note.step):
        return
    uow.inbox_messages.add(note)


def plan_deliveries(event: CloudEvent, uow: NotifyUnitOfWork, rules: Rules, now: datetime) -> int:
    """Record the messages ``event`` causes (email, SMS, webhooks, the staff's inbox) in the
    delivery ledger, in the event's own transaction; the sender loop sends them."""
    return deliveries.plan(event, uow, rules, now)
