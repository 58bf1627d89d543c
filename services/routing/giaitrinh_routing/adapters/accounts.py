"""Accounts, the sign-in lock-out, sessions and API keys on the unit of work's session."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import account_sessions, accounts, api_keys, sign_in_throttle
from giaitrinh_routing.domain.accounts import Account, ApiKey, Body, SignInSession, SignInThrottle
from giaitrinh_routing.domain.case import Role


def _aware(at: datetime | None) -> datetime | None:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


class SqlAccounts:
    def __init__(self, session: Session):
        self.session = session

    # -- accounts ------------------------------------------------------------------------------
    def add(self, account: Account) -> None:
        self.session.execute(sa.insert(accounts).values(**self._columns(account)))

    def save(self, account: Account) -> None:
        values = self._columns(account)
        del values["id"]
        self.session.execute(sa.update(accounts).where(accounts.c.id == account.id).values(**values))

    def by_login(self, login: str) -> Account | None:
        row = self.session.execute(sa.select(accounts).where(accounts.c.login == login)).mappings().first()
        return self._account(row) if row is not None else None

    def get(self, account_id: str) -> Account | None:
        row = self.session.execute(sa.select(accounts).where(accounts.c.id == account_id)).mappings().first()
        return self._account(row) if row is not None else None

    def page(self, offset: int, limit: int, role: str | None = None,
             locality: str | None = None) -> tuple[list[Account], int]:
        where = sa.and_(sa.true() if role is None else accounts.c.role == role,
                        # a JSON list of codes: '"18880"' is in it exactly when the code is
                        sa.true() if locality is None else accounts.c.localities.contains(f'"{locality}"'))
        total = self.session.execute(sa.select(sa.func.count()).select_from(accounts).where(where)).scalar_one()
        rows = self.session.execute(sa.select(accounts).where(where).order_by(accounts.c.login)
                                    .offset(offset).limit(limit)).mappings().all()
        return [self._account(r) for r in rows], total

    @staticmethod
    def _columns(a: Account) -> dict:
        return dict(id=a.id, login=a.login, display_name=a.display_name, role=a.role.value,
                    localities=json.dumps(sorted(a.localities)), unit_code=a.unit_code,
                    body=a.body.value if a.body else None, password_hash=a.password_hash,
                    totp_secret=a.totp_secret, totp_last_step=a.totp_last_step, disabled=a.disabled,
                    created_at=a.created_at, password_changed_at=a.password_changed_at,
                    email=a.email, phone=a.phone)

    @staticmethod
    def _account(r) -> Account:
        return Account(id=r["id"], login=r["login"], display_name=r["display_name"], role=Role(r["role"]),
                       localities=frozenset(json.loads(r["localities"])), unit_code=r["unit_code"],
                       body=Body(r["body"]) if r["body"] else None, password_hash=r["password_hash"],
                       created_at=_aware(r["created_at"]),  # type: ignore[arg-type]
                       password_changed_at=_aware(r["password_changed_at"]),  # type: ignore[arg-type]
                       totp_secret=r["totp_secret"], totp_last_step=r["totp_last_step"],
                       disabled=bool(r["disabled"]), email=r["email"], phone=r["phone"])

    # -- the lock-out --------------------------------------------------------------------------
    def throttle(self, login: str) -> SignInThrottle:
        row = self.session.execute(sa.select(sign_in_throttle)
                                   .where(sign_in_throttle.c.login == login)).mappings().first()
        if row is None:
            return SignInThrottle(login)
        return SignInThrottle(login, row["failures"], _aware(row["window_start"]), _aware(row["locked_until"]))

    def save_throttle(self, throttle: SignInThrottle, forget: bool) -> None:
        """Write the record, or delete it when it says nothing any more (``forget``)."""
        self.session.execute(sa.delete(sign_in_throttle).where(sign_in_throttle.c.login == throttle.login))
        if not forget:
            self.session.execute(sa.insert(sign_in_throttle).values(
                login=throttle.login, failures=throttle.failures, window_start=throttle.window_start,
                locked_until=throttle.locked_until))

    def forget_throttles_before(self, moment: datetime, limit: int = 100) -> None:
        """Delete records of names nobody tried since ``moment`` and not locked (a few at a
        time: a flood of made-up names must not grow the table without end)."""
        stale = sa.select(sign_in_throttle.c.login).where(
            sa.or_(sign_in_throttle.c.window_start.is_(None), sign_in_throttle.c.window_start < moment),
            sa.or_(sign_in_throttle.c.locked_until.is_(None), sign_in_throttle.c.locked_until < moment),
        ).limit(limit)
        names = list(self.session.execute(stale).scalars())
        if names:
            self.session.execute(sa.delete(sign_in_throttle).where(sign_in_throttle.c.login.in_(names)))

    # -- sessions ------------------------------------------------------------------------------
    def add_session(self, s: SignInSession) -> None:
        self.session.execute(sa.insert(account_sessions).values(
            id=s.id, account_id=s.account_id, secret_digest=s.secret_digest, created_at=s.created_at,
            expires_at=s.expires_at, revoked_at=s.revoked_at))

    def session_by_digest(self, secret_digest: str) -> SignInSession | None:
        row = self.session.execute(sa.select(account_sessions).where(
            account_sessions.c.secret_digest == secret_digest)).mappings().first()
        if row is None:
            return None
        return SignInSession(row["id"], row["account_id"], row["secret_digest"], _aware(row["created_at"]),  # type: ignore[arg-type]
                             _aware(row["expires_at"]), _aware(row["revoked_at"]))  # type: ignore[arg-type]

    def revoke_sessions(self, account_id: str, now: datetime, keep: str | None = None) -> int:
        """End every open session of the account (but ``keep``); return how many."""
        where = [account_sessions.c.account_id == account_id, account_sessions.c.revoked_at.is_(None)]
        if keep is not None:
            where.append(account_sessions.c.id != keep)
        done = self.session.execute(sa.update(account_sessions).where(*where).values(revoked_at=now))
        return done.rowcount  # type: ignore[attr-defined]

    def revoke_session(self, session_id: str, now: datetime) -> None:
        self.session.execute(sa.update(account_sessions).where(
            account_sessions.c.id == session_id, account_sessions.c.revoked_at.is_(None)).values(revoked_at=now))

    # -- API keys ------------------------------------------------------------------------------
    def add_key(self, key: ApiKey) -> None:
        self.session.execute(sa.insert(api_keys).values(
            id=key.id, name=key.name, localities=json.dumps(sorted(key.localities)),
            key_digest=key.key_digest, disabled=key.disabled, created_at=key.created_at))

    def key_by_digest(self, key_digest: str) -> ApiKey | None:
        row = self.session.execute(sa.select(api_keys).where(api_keys.c.key_digest == key_digest)).mappings().first()
        return self._key(row) if row is not None else None

    def key_by_name(self, name: str) -> ApiKey | None:
        row = self.session.execute(sa.select(api_keys).where(api_keys.c.name == name)).mappings().first()
        return self._key(row) if row is not None else None

    def keys(self) -> list[ApiKey]:
        rows = self.session.execute(sa.select(api_keys).order_by(api_keys.c.name)).mappings().all()
        return [self._key(r) for r in rows]

    def set_key_disabled(self, name: str, disabled: bool) -> bool:
        done = self.session.execute(sa.update(api_keys).where(api_keys.c.name == name).values(disabled=disabled))
        return done.rowcount == 1  # type: ignore[attr-defined]

    @staticmethod
    def _key(r) -> ApiKey:
        return ApiKey(r["id"], r["name"], frozenset(json.loads(r["localities"])), r["key_digest"],
                      _aware(r["created_at"]), bool(r["disabled"]))  # type: ignore[arg-type]
