"""Webhook subscriptions, people's preferences and the staff's inbox, on the unit of work's
session (tables of revision 0005_channels)."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_notify.adapters.orm import notification_preferences as prefs
from giaitrinh_notify.adapters.orm import staff_inbox as inbox
from giaitrinh_notify.adapters.orm import webhook_secrets as secrets
from giaitrinh_notify.adapters.orm import webhook_subscriptions as subs
from giaitrinh_notify.domain.preferences import Preference
from giaitrinh_notify.domain.staff_inbox import StaffMessage
from giaitrinh_notify.domain.webhooks import SigningSecret, WebhookSubscription, newest_first


def _when(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every one we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else _when(value)


class SqlWebhookSubscriptions:
    def __init__(self, session: Session):
        self.session = session

    def _secrets(self, ids: list[str]) -> dict[str, list[SigningSecret]]:
        found: dict[str, list[SigningSecret]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = self.session.execute(sa.select(secrets).where(secrets.c.subscription_id.in_(ids))
                                    .order_by(secrets.c.created_at.desc(), secrets.c.id)).mappings()
        for r in rows:
            found[r["subscription_id"]].append(SigningSecret(r["id"], r["secret"], _when(r["created_at"]),
                                                             _aware(r["expires_at"])))
        return found

    def _build(self, rows) -> list[WebhookSubscription]:
        rows = list(rows)
        by_id = self._secrets([r["id"] for r in rows])
        return [WebhookSubscription(id=r["id"], url=r["url"], event_types=tuple(json.loads(r["event_types"])),
                                    locality_code=r["locality_code"], description=r["description"],
                                    active=bool(r["active"]), created_at=_when(r["created_at"]),
                                    secrets=tuple(newest_first(by_id[r["id"]]))) for r in rows]

    def get(self, subscription_id: str) -> WebhookSubscription | None:
        found = self._build(self.session.execute(sa.select(subs).where(subs.c.id == subscription_id)).mappings())
        return found[0] if found else None

    def page(self, locality_codes: Iterable[str] | None, offset: int,
             limit: int) -> tuple[list[WebhookSubscription], int]:
        """Subscriptions of ``locality_codes`` (None: all), newest first, and how many in all."""
        where = sa.true() if locality_codes is None else subs.c.locality_code.in_(list(locality_codes))
        total = self.session.execute(sa.select(sa.func.count()).select_from(subs).where(where)).scalar_one()
        rows = self.session.execute(sa.select(subs).where(where).order_by(subs.c.created_at.desc(), subs.c.id)
                                    .offset(offset).limit(limit)).mappings()
        return self._build(rows), total

    def wanting(self, event_type: str, locality_code: str | None) -> list[WebhookSubscription]:
        """The active subscriptions that want an event of ``event_type`` in ``locality_code``
        (for notify's recipient resolution: "subscribed systems")."""
        rows = self.session.execute(sa.select(subs).where(
            subs.c.active.is_(True)
            & ((subs.c.locality_code.is_(None)) | (subs.c.locality_code == locality_code)))
            .order_by(subs.c.id)).mappings()
        return [s for s in self._build(rows) if s.wants(event_type, locality_code)]

    def save(self, sub: WebhookSubscription, now: datetime) -> None:
        """Insert or update ``sub`` with exactly its secrets (ones it dropped are deleted)."""
        values = {"url": sub.url, "event_types": json.dumps(list(sub.event_types)),
                  "locality_code": sub.locality_code, "description": sub.description,
                  "active": sub.active, "updated_at": now}
        done = self.session.execute(sa.update(subs).where(subs.c.id == sub.id).values(**values))
        updated = done.rowcount  # type: ignore[attr-defined]
        if not updated:
            self.session.execute(sa.insert(subs).values(id=sub.id, created_at=sub.created_at, **values))
        self.session.execute(sa.delete(secrets).where(secrets.c.subscription_id == sub.id))
        for s in sub.secrets:
            self.session.execute(sa.insert(secrets).values(id=s.id, subscription_id=sub.id, secret=s.secret,
                                                           created_at=s.created_at, expires_at=s.expires_at))

    def delete(self, subscription_id: str) -> None:
        self.session.execute(sa.delete(secrets).where(secrets.c.subscription_id == subscription_id))
        self.session.execute(sa.delete(subs).where(subs.c.id == subscription_id))


class SqlPreferences:
    def __init__(self, session: Session):
        self.session = session

    def get(self, person: str) -> Preference | None:
        row = self.session.execute(sa.select(prefs).where(prefs.c.person == person)).mappings().first()
        if row is None:
            return None
        return Preference(row["person"], tuple(c for c in row["channels"].split(",") if c),
                          bool(row["non_statutory"]), _aware(row["updated_at"]))

    def save(self, pref: Preference, now: datetime) -> None:
        values = {"channels": ",".join(pref.channels), "non_statutory": pref.non_statutory, "updated_at": now}
        done = self.session.execute(sa.update(prefs).where(prefs.c.person == pref.person).values(**values))
        if not done.rowcount:  # type: ignore[attr-defined]
            self.session.execute(sa.insert(prefs).values(person=pref.person, **values))


class SqlStaffInbox:
    def __init__(self, session: Session):
        self.session = session

    @staticmethod
    def _message(r) -> StaffMessage:
        return StaffMessage(id=r["id"], delivery_key=r["delivery_key"], account_id=r["account_id"],
                            subject=r["subject"], body=r["body"], created_at=_when(r["created_at"]),
                            language=r["language"], locality_code=r["locality_code"], request_id=r["request_id"],
                            topic=r["topic"], link=r["link"], read_at=_aware(r["read_at"]))

    def add(self, message: StaffMessage) -> bool:
        """Put ``message`` in its inbox; False when its delivery key is there already."""
        exists = self.session.execute(sa.select(inbox.c.id).where(inbox.c.delivery_key == message.delivery_key)
                                      ).first()
        if exists is not None:
            return False
        self.session.execute(sa.insert(inbox).values(
            delivery_key=message.delivery_key, account_id=message.account_id, locality_code=message.locality_code,
            request_id=message.request_id, topic=message.topic, subject=message.subject, body=message.body,
            language=message.language, link=message.link, created_at=message.created_at, read_at=None))
        return True

    def unread_count(self, account_id: str) -> int:
        return self.session.execute(sa.select(sa.func.count()).select_from(inbox).where(
            (inbox.c.account_id == account_id) & inbox.c.read_at.is_(None))).scalar_one()

    def page(self, account_id: str, *, unread_only: bool, offset: int, limit: int) -> tuple[list[StaffMessage], int]:
        """One person's messages, newest first, and how many in all."""
        where = inbox.c.account_id == account_id
        if unread_only:
            where = where & inbox.c.read_at.is_(None)
        total = self.session.execute(sa.select(sa.func.count()).select_from(inbox).where(where)).scalar_one()
        rows = self.session.execute(sa.select(inbox).where(where).order_by(inbox.c.id.desc())
                                    .offset(offset).limit(limit)).mappings()
        return [self._message(r) for r in rows], total

    def get(self, account_id: str, message_id: int) -> StaffMessage | None:
        """The message, if it is in ``account_id``'s inbox (another person's is None, as a
        missing one: the caller answers 404 for both)."""
        row = self.session.execute(sa.select(inbox).where(
            (inbox.c.id == message_id) & (inbox.c.account_id == account_id))).mappings().first()
        return self._message(row) if row is not None else None

    def mark_read(self, account_id: str, message_ids: Iterable[int] | None, now: datetime) -> int:
        """Mark ``message_ids`` (None: all) of ``account_id``'s unread messages read; how many were."""
        where = (inbox.c.account_id == account_id) & inbox.c.read_at.is_(None)
        if message_ids is not None:
            where = where & inbox.c.id.in_(list(message_ids))
        done = self.session.execute(sa.update(inbox).where(where).values(read_at=now))
        return done.rowcount  # type: ignore[attr-defined]
