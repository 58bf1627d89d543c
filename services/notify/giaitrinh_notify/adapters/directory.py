"""Who to tell, as notify knows it from the streams (no other service's table is read):
requesters' contacts (request.submitted / request.joined; a joiner's forgotten on
request.join_withdrawn), staff (account.changed) and who handles each case (the case events).
On the unit of work's session; the caller commits."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_notify.adapters.orm import case_handlers as ch
from giaitrinh_notify.adapters.orm import requester_contacts as rc
from giaitrinh_notify.adapters.orm import staff_directory as sd


@dataclass(frozen=True)
class Contact:
    source: str  # "submitted" or the joined event's id
    tracking_code: str
    email: str | None
    phone: str | None
    requester_link: str | None


@dataclass(frozen=True)
class Staff:
    account_id: str
    name: str
    role: str
    localities: tuple[str, ...]
    unit_code: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Handling:
    locality_code: str
    unit_code: str | None
    official_id: str | None


class SqlDirectory:
    def __init__(self, session: Session):
        self.session = session

    # -- requesters -----------------------------------------------------------------------
    def remember_contact(self, request_id: str, source: str, tracking_code: str, locality_code: str,
                         contact: dict, now: datetime) -> None:
        exists = self.session.execute(sa.select(rc.c.request_id).where(
            (rc.c.request_id == request_id) & (rc.c.source == source))).first()
        if exists is None:
            self.session.execute(sa.insert(rc).values(
                request_id=request_id, source=source, tracking_code=tracking_code,
                locality_code=locality_code, email=(contact.get("email") or None),
                phone=(contact.get("phone") or None), requester_link=contact.get("requester_link"),
                created_at=now))

    def forget_joiner(self, request_id: str, joined_event_id: str, tracking_code: str, locality_code: str,
                      now: datetime) -> None:
        """A joiner left the request: clear the contact their request.joined brought, and keep
        that they left. A withdrawal read first keeps the row alone, so the joined event read
        later finds it taken (:meth:`remember_contact` never overwrites) and brings nothing
        back; told twice, it changes nothing more. The requester's own row is never touched."""
        if joined_event_id == "submitted":
            return
        key = (rc.c.request_id == request_id) & (rc.c.source == joined_event_id)
        if self.session.execute(sa.select(rc.c.request_id).where(key)).first() is None:
            self.session.execute(sa.insert(rc).values(
                request_id=request_id, source=joined_event_id, tracking_code=tracking_code,
                locality_code=locality_code, created_at=now, left_at=now))
        else:
            self.session.execute(sa.update(rc).where(key & rc.c.left_at.is_(None)).values(
                email=None, phone=None, requester_link=None, left_at=now))

    def has_left(self, request_id: str, source: str) -> bool:
        """Whether the joiner whose request.joined is ``source`` left the request."""
        return self.session.execute(sa.select(rc.c.left_at).where(
            (rc.c.request_id == request_id) & (rc.c.source == source))).scalar_one_or_none() is not None

    def contacts(self, request_id: str, source: str | None = None) -> list[Contact]:
        """The contacts to tell of the request, a joiner who left not among them."""
        query = (sa.select(rc).where((rc.c.request_id == request_id) & rc.c.left_at.is_(None))
                 .order_by(rc.c.created_at, rc.c.source))
        if source is not None:
            query = query.where(rc.c.source == source)
        return [Contact(r["source"], r["tracking_code"], r["email"], r["phone"], r["requester_link"])
                for r in self.session.execute(query).mappings()]

    # -- staff ------------------------------------------------------------------------------
    def remember_staff(self, data: dict, changed_at: datetime) -> None:
        """Keep an account as account.changed tells it — its whole state, the contact
        included: an event without ``email`` or ``phone`` means the person has none now. An
        event older than the one kept (a replayed dead letter, a released waiting one) changes
        nothing: an address the admin removed never comes back."""
        changed_at = changed_at.astimezone(UTC)
        kept = self.session.execute(sa.select(sd.c.changed_at).where(
            sd.c.account_id == data["account_id"])).scalar_one_or_none()
        if kept is not None and (kept if kept.tzinfo else kept.replace(tzinfo=UTC)) > changed_at:
            return
        values = dict(name=data.get("name", ""), role=data["role"],
                      localities=json.dumps(sorted(data.get("localities", []))),
                      unit_code=data.get("unit_code"), body=data.get("body"),
                      email=data.get("email") or None, phone=data.get("phone") or None,
                      active=bool(data.get("active", True)), changed_at=changed_at)
        if kept is not None:
            self.session.execute(sa.update(sd).where(sd.c.account_id == data["account_id"]).values(**values))
        else:
            self.session.execute(sa.insert(sd).values(account_id=data["account_id"], **values))

    def staff(self, *, role: str | None = None, locality_code: str | None = None,
              unit_code: str | None = None, account_id: str | None = None) -> list[Staff]:
        query = sa.select(sd).where(sd.c.active.is_(True)).order_by(sd.c.account_id)
        if role is not None:
            query = query.where(sd.c.role == role)
        if account_id is not None:
            query = query.where(sd.c.account_id == account_id)
        if unit_code is not None:
            query = query.where(sd.c.unit_code == unit_code)
        out = []
        for r in self.session.execute(query).mappings():
            localities = tuple(json.loads(r["localities"]))
            if locality_code is not None and locality_code not in localities:
                continue
            out.append(Staff(r["account_id"], r["name"], r["role"], localities, r["unit_code"],
                             r["email"], r["phone"]))
        return out

    # -- cases ------------------------------------------------------------------------------
    def note_handling(self, request_id: str, locality_code: str, version: int, *,
                      unit_code: str | None, official_id: str | None, clear_official: bool) -> None:
        row = self.session.execute(sa.select(ch).where(ch.c.request_id == request_id)).mappings().first()
        if row is None:
            self.session.execute(sa.insert(ch).values(request_id=request_id, locality_code=locality_code,
                                                      unit_code=unit_code, official_id=official_id,
                                                      version=version))
            return
        if version < row["version"]:
            return  # an older step arriving late changes nothing
        values: dict = {"version": version, "locality_code": locality_code}
        if unit_code:
            values["unit_code"] = unit_code
        if official_id or clear_official:
            values["official_id"] = official_id
        self.session.execute(sa.update(ch).where(ch.c.request_id == request_id).values(**values))

    def handling(self, request_id: str) -> Handling | None:
        r = self.session.execute(sa.select(ch).where(ch.c.request_id == request_id)).mappings().first()
        return Handling(r["locality_code"], r["unit_code"], r["official_id"]) if r else None
