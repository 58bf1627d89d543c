"""Handlers of the channels' own commands: reading and marking the staff's inbox, choosing
channels, managing webhook subscriptions; and :func:`channels_for_person`, what notify's
recipient resolution calls to honour a person's choice.

Each handler takes a unit of work already entered and commits where it changes something;
routes turn input into these calls and nothing more.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from giaitrinh_notify.domain.preferences import Preference, channels_for
from giaitrinh_notify.domain.staff_inbox import StaffMessage
from giaitrinh_notify.domain.webhooks import SigningSecret, WebhookSubscription
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork


# -- preferences ----------------------------------------------------------------------------
def channels_for_person(uow: NotifyUnitOfWork, person: str, *, statutory: bool, reachable: Iterable[str],
                        default: Sequence[str]) -> tuple[str, ...]:
    """The channels a message goes out on to ``person`` (``account:<id>`` or
    ``request:<tracking code>``): their stored choice applied by
    :func:`giaitrinh_notify.domain.preferences.channels_for` (a statutory notice always
    reaches a person who has an address)."""
    return channels_for(uow.preferences.get(person), statutory=statutory, reachable=reachable, default=default)


def preference_of(uow: NotifyUnitOfWork, person: str) -> Preference:
    return uow.preferences.get(person) or Preference(person)


def choose(uow: NotifyUnitOfWork, person: str, changes: dict, now: datetime) -> Preference:
    """Apply ``changes`` (``channels`` and/or ``non_statutory``, already checked) and commit."""
    current = preference_of(uow, person)
    chosen = replace(current, updated_at=now,
                     channels=tuple(changes.get("channels", current.channels)),
                     non_statutory=changes.get("non_statutory", current.non_statutory))
    uow.preferences.save(chosen, now)
    uow.commit()
    return chosen


# -- the staff's inbox ----------------------------------------------------------------------
def mark_read(uow: NotifyUnitOfWork, account_id: str, message_ids: Iterable[int] | None, now: datetime) -> int:
    marked = uow.staff_inbox.mark_read(account_id, message_ids, now)
    uow.commit()
    return marked


def read_one(uow: NotifyUnitOfWork, account_id: str, message_id: int, now: datetime) -> StaffMessage | None:
    """The message, marked read (None when it is not in this person's inbox)."""
    message = uow.staff_inbox.get(account_id, message_id)
    if message is not None and message.unread:
        uow.staff_inbox.mark_read(account_id, [message_id], now)
        uow.commit()
        message = replace(message, read_at=now)
    return message


# -- webhook subscriptions ------------------------------------------------------------------
def subscribe(uow: NotifyUnitOfWork, *, url: str, event_types: Sequence[str], locality_code: str | None,
              description: str, now: datetime, new_secret: Callable[[], str]) -> WebhookSubscription:
    """Register a receiver with a first secret; the caller shows that secret once."""
    sub = WebhookSubscription(id=str(uuid.uuid4()), url=url, event_types=tuple(event_types),
                              locality_code=locality_code, description=description, active=True,
                              created_at=now, secrets=(SigningSecret(str(uuid.uuid4()), new_secret(), now),))
    uow.webhook_subscriptions.save(sub, now)
    uow.commit()
    return sub


def change_subscription(uow: NotifyUnitOfWork, sub: WebhookSubscription, changes: dict,
                        now: datetime) -> WebhookSubscription:
    fields: dict = {k: (tuple(v) if k == "event_types" else v) for k, v in changes.items()}
    changed = replace(sub, **fields)
    uow.webhook_subscriptions.save(changed, now)
    uow.commit()
    return changed


def rotate_secret(uow: NotifyUnitOfWork, sub: WebhookSubscription, *, now: datetime, overlap: timedelta,
                  new_secret: Callable[[], str]) -> WebhookSubscription:
    """A new current secret; the old ones sign beside it until ``overlap`` has passed."""
    rotated = sub.rotated(SigningSecret(str(uuid.uuid4()), new_secret(), now), now, overlap)
    uow.webhook_subscriptions.save(rotated, now)
    uow.commit()
    return rotated


def unsubscribe(uow: NotifyUnitOfWork, subscription_id: str) -> None:
    uow.webhook_subscriptions.delete(subscription_id)
    uow.commit()
