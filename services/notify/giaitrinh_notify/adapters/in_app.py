"""The in-app channel: a message into a staff member's inbox in notify's own database.

``recipient`` is the account id (the sign-in token's subject). The message's ``headers`` may
carry what the inbox shows beside the text: ``request_id``, ``locality_code``, ``topic`` and
``link`` (a path on this site, e.g. the case in the console; any other link is dropped).

The one channel that can promise exactly once outright: the delivery key is unique in the
inbox table, so a message written again after a crash between writing and recording in the
ledger stays one message.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from giaitrinh_notify.adapters.channel_store import SqlStaffInbox
from giaitrinh_notify.domain.channels import IN_APP, DeliveryFailed, DeliveryRefused, OutgoingMessage
from giaitrinh_notify.domain.staff_inbox import StaffMessage, safe_link

MAX_ACCOUNT_ID = 64
MAX_SUBJECT = 300


class InAppChannel:
    """Keeps :class:`~giaitrinh_notify.domain.channels.Channel`. ``unit_of_work``: the
    runtime's factory (its unit of work opens a session and commits on ``commit()``)."""

    name = IN_APP

    def __init__(self, unit_of_work: Callable[[], Any], clock: Callable[[], float] = time.time):
        self.unit_of_work = unit_of_work
        self.clock = clock

    def send(self, message: OutgoingMessage) -> str | None:
        account = message.recipient.strip()
        if not account or len(account) > MAX_ACCOUNT_ID:
            raise DeliveryRefused(f"not an account id: {message.recipient[:40]!r}")
        h = message.headers
        note = StaffMessage(
            id=0, delivery_key=message.delivery_key, account_id=account,
            subject=(message.subject.strip() or message.body.strip().split("\n")[0])[:MAX_SUBJECT],
            body=message.body, created_at=datetime.fromtimestamp(self.clock(), UTC),
            language=message.language[:5], locality_code=(h.get("locality_code") or None),
            request_id=(h.get("request_id") or None), topic=h.get("topic", "")[:60],
            link=safe_link(h.get("link")))
        try:
            with self.unit_of_work() as uow:
                SqlStaffInbox(uow.session).add(note)
                uow.commit()
        except SQLAlchemyError as exc:  # the database is down or locked: try again later
            raise DeliveryFailed(f"the inbox could not be written: {type(exc).__name__}") from None
        return None
