"""Signing in and managing accounts: the use cases behind routing's auth API and the
``giaitrinh routing users|publishers`` commands. Each runs in one transaction of its own.

The revocation rule (docs/ARCHITECTURE.md, "Who may do what"): a token lives
``token_seconds`` (at most :data:`giaitrinh_common.auth.MAX_TOKEN_SECONDS`, 60) and only
:meth:`AccountService.refresh` renews it, after reading the account and its session. So a
disabled account, a revoked session or a changed role reach every service within a minute,
without any service reading routing's tables.
"""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from giaitrinh_common.auth import token_claims
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.adapters.accounts import SqlAccounts
from giaitrinh_routing.adapters.credentials import digest
from giaitrinh_routing.domain.accounts import (
    PUBLISHER,
    Account,
    AccountDisabled,
    AccountProblems,
    ApiKey,
    LockoutPolicy,
    LoginLocked,
    OfficialRow,
    SessionEnded,
    SignInRefused,
    SignInSession,
    normalise_login,
    official_csv_row,
    official_rows,
    password_problems,
)
from giaitrinh_routing.domain.audit import AuditEntry
from giaitrinh_routing.domain.case import Problem, Role
from giaitrinh_routing.service_layer.handlers import ImportRefused, RowProblem
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork

DEFAULT_LOCKOUT = LockoutPolicy()
ISSUER_NAME = "Giải Trình"  # what an authenticator app shows beside the code
API_KEY_PREFIX = "gtk_"


class PasswordHashing(Protocol):
    """Port: a slow, salted password hash (argon2id in production)."""

    def hash(self, password: str) -> str: ...
    def verify(self, stored: str, password: str) -> bool: ...
    def needs_rehash(self, stored: str) -> bool: ...


class OneTimeCodes(Protocol):
    """Port: TOTP codes (RFC 6238)."""

    def new_secret(self) -> str: ...
    def provisioning_uri(self, secret: str, login: str, issuer: str) -> str: ...
    def matching_step(self, secret: str, code: str, at: datetime) -> int | None: ...


class TokenSigning(Protocol):
    """Port: signs token claims with routing's private key."""

    def sign(self, claims: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class Grant:
    """What a sign-in or a renewal hands out: the token, when it expires, and (at sign-in)
    the session secret that renews it."""

    token: str
    expires_at: int
    token_seconds: int
    claims: dict[str, Any]
    session_secret: str | None = None
    session_seconds: int = 0


@dataclass(frozen=True)
class NewAccount:
    account: Account
    totp_uri: str | None  # shown once, for the authenticator app


def _contact_given(account: Account) -> dict[str, bool]:
    # The audit log is append-only and hash-chained: it records that a contact was set, never
    # the address itself, which the person may later want changed or gone for good.
    return {"email": bool(account.email), "phone": bool(account.phone)}


def _initial_password(login: str) -> str:
    """A random first password (the person changes it after signing in) that the password
    rules accept."""
    while True:
        password = secrets.token_urlsafe(12)
        if not password_problems(password, login):
            return password


class UnknownAccount(LookupError):
    """No account by that login (the CLI's and admin's answer, never the sign-in's)."""


def _repo(uow: RoutingUnitOfWork) -> SqlAccounts:
    assert uow.session is not None, "inside `with unit_of_work() as uow`"
    return SqlAccounts(uow.session)


class AccountService:
    def __init__(self, *, unit_of_work: Callable[[], RoutingUnitOfWork], now: Callable[[], datetime],
                 passwords: PasswordHashing, codes: OneTimeCodes, signer: TokenSigning,
                 token_seconds: int = 60, session_seconds: int = 12 * 3600,
                 lockout: LockoutPolicy = DEFAULT_LOCKOUT):
        self.unit_of_work, self.now = unit_of_work, now
        self.passwords, self.codes, self.signer = passwords, codes, signer
        self.token_seconds, self.session_seconds, self.lockout = token_seconds, session_seconds, lockout

    @cached_property
    def _dummy_hash(self) -> str:
        # Checked against when the login is unknown, so that such an answer takes as long.
        return self.passwords.hash(secrets.token_urlsafe(16))

    # -- signing in ------------------------------------------------------------------------------
    def sign_in(self, login: str, password: str, code: str = "") -> Grant:
        """A session and a token for the right login, password and (when the account has one,
        and always for a provincial admin) one-time code. :class:`SignInRefused` for any wrong
        answer or unknown login alike; :class:`LoginLocked` after too many;
        :class:`AccountDisabled` for right credentials of a disabled account."""
        now = self.now()
        name = normalise_login(login)
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            throttle = repo.throttle(name)
            account = repo.by_login(name)
            # The hash is checked whatever happens next: every answer costs the same time.
            password_ok = self.passwords.verify(account.password_hash if account else self._dummy_hash, password)
            if (until := throttle.locked(now)) is not None:
                raise LoginLocked(until)
            step = self._code_step(account, code, now) if account is not None else None
            code_ok = account is not None and (step is not None or not (account.totp_secret or account.totp_required))
            if account is None or not password_ok or not code_ok:
                throttle.fail(now, self.lockout)
                repo.save_throttle(throttle, forget=False)
                repo.forget_throttles_before(now - self.lockout.window - self.lockout.lock_for)
                uow.commit()
                if (until := throttle.locked(now)) is not None:
                    raise LoginLocked(until)
                raise SignInRefused()
            if account.disabled:
                raise AccountDisabled()
            repo.save_throttle(throttle, forget=True)
            if step is not None:
                account.totp_last_step = step
            if self.passwords.needs_rehash(account.password_hash):
                account.password_hash = self.passwords.hash(password)
            repo.save(account)
            secret = secrets.token_urlsafe(32)
            session = SignInSession(str(uuid.uuid4()), account.id, digest(secret), now,
                                    now + timedelta(seconds=self.session_seconds))
            repo.add_session(session)
            uow.commit()
        return replace(self._grant(account, session.id, now), session_secret=secret,
                       session_seconds=self.session_seconds)

    def _code_step(self, account: Account, code: str, now: datetime) -> int | None:
        if not account.totp_secret:
            return None
        step = self.codes.matching_step(account.totp_secret, code.strip(), now)
        if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
            return None  # a code is good once: one overheard cannot be used again
        return step

    def refresh(self, session_secret: str) -> Grant:
        """A new token for an open session of an enabled account, with the account as it is
        now (role, localities); :class:`SessionEnded` otherwise."""
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            session = repo.session_by_digest(digest(session_secret)) if session_secret else None
            account = repo.get(session.account_id) if session is not None else None
            if session is None or not session.active(now) or account is None or account.disabled:
                raise SessionEnded()
        return self._grant(account, session.id, now)

    def sign_out(self, session_secret: str) -> None:
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            session = repo.session_by_digest(digest(session_secret)) if session_secret else None
            if session is not None:
                repo.revoke_session(session.id, now)
                uow.commit()

    def exchange_api_key(self, key: str) -> Grant:
        """A publisher's token for an enabled API key (no session: the system asks again)."""
        now = self.now()
        with self.unit_of_work() as uow:
            found = _repo(uow).key_by_digest(digest(key)) if key.startswith(API_KEY_PREFIX) else None
        if found is None or found.disabled:
            raise SignInRefused()
        claims = token_claims(subject=f"key:{found.id}", role=PUBLISHER, localities=found.localities,
                              unit_code=None, body=None, name=found.name, session_id=None,
                              issued_at=int(now.timestamp()), lifetime=self.token_seconds)
        return Grant(self.signer.sign(claims), claims["exp"], self.token_seconds, claims)

    def _grant(self, account: Account, session_id: str, now: datetime) -> Grant:
        claims = token_claims(subject=account.id, role=account.role.value, localities=account.localities,
                              unit_code=account.unit_code, body=account.body.value if account.body else None,
                              name=account.display_name, session_id=session_id,
                              issued_at=int(now.timestamp()), lifetime=self.token_seconds)
        return Grant(self.signer.sign(claims), claims["exp"], self.token_seconds, claims)

    # -- managing accounts -----------------------------------------------------------------------
    def add(self, *, login: str, display_name: str, role: str, localities: set[str],
            unit_code: str | None, body: str | None, password: str, with_totp: bool = False,
            by: str = "cli", email: str | None = None, phone: str | None = None) -> NewAccount:
        """Open an account (with an email and a mobile phone for notify, both optional); a
        provincial admin (or ``with_totp``) gets a TOTP secret, whose provisioning URI is
        returned to show once."""
        now = self.now()
        name = normalise_login(login)
        problems = password_problems(password, name)
        totp = self.codes.new_secret() if with_totp or role == Role.PROVINCIAL_ADMIN.value else None
        try:
            account = Account.open(id=str(uuid.uuid4()), login=login, display_name=display_name, role=role,
                                   localities=localities, unit_code=unit_code, body=body, password_hash="",
                                   now=now, totp_secret=totp, email=email, phone=phone)
        except AccountProblems as exc:
            problems = exc.problems + problems
        if problems:
            raise AccountProblems(problems)
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            if repo.by_login(account.login) is not None:
                raise AccountProblems([Problem("login", "taken", "Tên đăng nhập đã có người dùng.",
                                               "This login is taken.")])
            account.password_hash = self.passwords.hash(password)
            repo.add(account)
            self._audit(uow, now, by, account, "account-add",
                        {"login": account.login, "role": account.role.value,
                         "localities": sorted(account.localities), "unit_code": account.unit_code,
                         "body": account.body.value if account.body else None, "totp": bool(totp),
                         **_contact_given(account)})
            uow.emit(events_out.REGISTRY_TOPIC, events_out.account_changed(account, now))
            uow.commit()
        uri = self.codes.provisioning_uri(totp, account.login, ISSUER_NAME) if totp else None
        return NewAccount(account, uri)

    def accounts(self, offset: int = 0, limit: int = 100, role: str | None = None,
                 locality: str | None = None) -> tuple[list[Account], int]:
        with self.unit_of_work() as uow:
            return _repo(uow).page(offset, limit, role, locality)

    def account(self, login: str) -> Account:
        """One account by login; :class:`UnknownAccount` when nobody has it."""
        with self.unit_of_work() as uow:
            return self._existing(_repo(uow), login)

    def set_disabled(self, login: str, disabled: bool, by: str = "cli") -> Account:
        """Disable (every session ends at once; tokens already out expire within
        ``token_seconds``) or enable an account."""
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            account = self._existing(repo, login)
            account.disabled = disabled
            repo.save(account)
            if disabled:
                repo.revoke_sessions(account.id, now)
            self._audit(uow, now, by, account, "account-disable" if disabled else "account-enable", {})
            uow.emit(events_out.REGISTRY_TOPIC, events_out.account_changed(account, now))
            uow.commit()
        return account

    def set_contact(self, login: str, email: str | None, phone: str | None, by: str = "cli") -> Account:
        """Replace an account's email and phone (empty clears one) and tell notify
        (account.changed); :class:`AccountProblems` for an invalid one, nothing changed."""
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            account = self._existing(repo, login)
            account.set_contact(email, phone)
            repo.save(account)
            self._audit(uow, now, by, account, "account-set-contact", _contact_given(account))
            uow.emit(events_out.REGISTRY_TOPIC, events_out.account_changed(account, now))
            uow.commit()
        return account

    def reset_password(self, login: str, password: str, *, new_totp: bool = False,
                       by: str = "cli") -> NewAccount:
        """An admin sets a new password (and, asked, a new TOTP secret): the lock-out is
        lifted and every session of the account ends."""
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            account = self._existing(repo, login)
            if problems := password_problems(password, account.login):
                raise AccountProblems(problems)
            account.password_hash = self.passwords.hash(password)
            account.password_changed_at = now
            if new_totp:
                account.totp_secret, account.totp_last_step = self.codes.new_secret(), None
            repo.save(account)
            repo.revoke_sessions(account.id, now)
            repo.save_throttle(repo.throttle(account.login), forget=True)
            self._audit(uow, now, by, account, "account-reset-password", {"new_totp": new_totp})
            uow.commit()
        uri = (self.codes.provisioning_uri(account.totp_secret, account.login, ISSUER_NAME)
               if new_totp and account.totp_secret else None)
        return NewAccount(account, uri)

    def change_password(self, account_id: str, current: str, new: str, keep_session: str | None) -> None:
        """The person changes their own password: the current one must be right; their other
        sessions end."""
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            account = repo.get(account_id)
            if account is None or account.disabled:
                raise SessionEnded()
            if not self.passwords.verify(account.password_hash, current):
                raise AccountProblems([Problem("current_password", "wrong", "Mật khẩu hiện tại không đúng.",
                                               "The current password is wrong.")])
            problems = password_problems(new, account.login)
            if problems:
                raise AccountProblems([replace(p, field="new_password") for p in problems])
            account.password_hash = self.passwords.hash(new)
            account.password_changed_at = now
            repo.save(account)
            repo.revoke_sessions(account.id, now, keep=keep_session)
            self._audit(uow, now, account.id, account, "account-change-password", {})
            uow.commit()

    def add_api_key(self, name: str, localities: set[str], by: str = "cli") -> tuple[ApiKey, str]:
        """A new publisher key; the key itself is returned once and only its digest kept."""
        now = self.now()
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        api_key = ApiKey.open(id=str(uuid.uuid4()), name=name, localities=localities, key_digest=digest(key),
                              now=now)
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            if repo.key_by_name(api_key.name) is not None:
                raise AccountProblems([Problem("name", "taken", "Tên hệ thống đã có.", "This name is taken.")])
            repo.add_key(api_key)
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=by, actor_role="admin",
                                  entity="api_key", entity_id=api_key.id, action="api-key-add",
                                  payload={"name": api_key.name, "localities": sorted(api_key.localities)}))
            uow.emit(events_out.REGISTRY_TOPIC, events_out.publisher_changed(api_key, now))
            uow.commit()
        return api_key, key

    def api_keys(self) -> list[ApiKey]:
        with self.unit_of_work() as uow:
            return _repo(uow).keys()

    def set_api_key_disabled(self, name: str, disabled: bool, by: str = "cli") -> None:
        now = self.now()
        with self.unit_of_work() as uow:
            repo = _repo(uow)
            found = repo.key_by_name(name)
            if found is None:
                raise UnknownAccount(name)
            repo.set_key_disabled(name, disabled)
            uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=by, actor_role="admin",
                                  entity="api_key", entity_id=found.id,
                                  action="api-key-disable" if disabled else "api-key-enable", payload={}))
            uow.emit(events_out.REGISTRY_TOPIC, events_out.publisher_changed(replace(found, disabled=disabled), now))
            uow.commit()

    # -- officials as CSV ------------------------------------------------------------------------
    def export_officials(self, locality: str) -> list[list[str]]:
        """The accounts serving ``locality`` as rows of ``OFFICIAL_COLUMNS`` (no secrets)."""
        rows: list[list[str]] = []
        with self.unit_of_work() as uow:
            repo, offset = _repo(uow), 0
            while True:
                found, total = repo.page(offset, 500, None, locality)
                rows += [official_csv_row(a) for a in found if a.role is not Role.PROVINCIAL_ADMIN]
                offset += len(found)
                if not found or offset >= total:
                    return rows

    def import_officials(self, locality: str, rows, by: str = "cli") -> tuple[dict[str, int], dict[str, str]]:
        """Add or change the officials of ``locality`` from CSV rows: every row checked first
        (as one account is, plus: a unit of this locality, a login of this locality or a new
        one); any problem raises :class:`ImportRefused` with each line, nothing written. All
        good: one transaction, each account audited and announced (account.changed) as a
        single change is. Returns the counts and each new login's random initial password."""
        now = self.now()
        with self.unit_of_work() as uow:
            if uow.localities.get(locality) is None:
                raise ImportRefused([RowProblem.of(1, Problem(  # the whole file: --locality or the page names it
                    "", "unknown_locality", f"Địa bàn {locality!r} chưa được đăng ký.",
                    f"Locality {locality!r} is not registered."))])
            repo = _repo(uow)
            parsed, found = official_rows(list(rows), locality, {u.code for u in uow.units.units_of(locality)})
            problems = [RowProblem.of(line, problem) for line, problem in found]
            existing: dict[str, Account] = {}
            for row in parsed:
                account = repo.by_login(row.login)
                if account is not None and (account.role is Role.PROVINCIAL_ADMIN
                                            or locality not in account.localities):
                    problems.append(RowProblem.of(row.line, Problem(
                        "login", "other_locality", f"{row.login!r} là tài khoản của xã, phường khác.",
                        f"{row.login!r} belongs to another locality.")))
                elif account is not None:
                    existing[row.login] = account
            if problems:
                raise ImportRefused(sorted(problems, key=lambda p: p.line))
            counts, passwords = {"added": 0, "changed": 0, "unchanged": 0}, {}
            for row in parsed:
                if row.login in existing:
                    counts[self._update_from_row(uow, repo, existing[row.login], row, locality, now, by)] += 1
                    continue
                password = _initial_password(row.login)
                account = Account.open(id=str(uuid.uuid4()), login=row.login, display_name=row.display_name,
                                       role=row.role.value, localities={locality},
                                       unit_code=None if row.body else row.unit_code,
                                       body=row.body.value if row.body else None,
                                       password_hash=self.passwords.hash(password), now=now,
                                       email=row.email, phone=row.phone)
                account.disabled = not row.active
                repo.add(account)
                self._audit(uow, now, by, account, "account-add",
                            {"login": account.login, "role": account.role.value,
                             "localities": sorted(account.localities), "unit_code": account.unit_code,
                             "body": account.body.value if account.body else None, "totp": False,
                             "import": True, **_contact_given(account)})
                uow.emit(events_out.REGISTRY_TOPIC, events_out.account_changed(account, now))
                passwords[account.login] = password
                counts["added"] += 1
            uow.commit()
        return counts, passwords

    def _update_from_row(self, uow: RoutingUnitOfWork, repo: SqlAccounts, account: Account, row: OfficialRow,
                         locality: str, now: datetime, by: str) -> str:
        before = official_csv_row(account)
        # A locality head of several localities keeps the others; any other role serves this one.
        account.localities = account.localities if row.role is Role.LOCALITY_HEAD else frozenset({locality})
        account.display_name, account.role = row.display_name, row.role
        account.unit_code, account.body = row.unit_code, row.body
        account.email, account.phone = row.email, row.phone
        disabling = row.active is False and not account.disabled
        account.disabled = not row.active
        if official_csv_row(account) == before:
            return "unchanged"
        repo.save(account)
        if disabling:
            repo.revoke_sessions(account.id, now)
        self._audit(uow, now, by, account, "account-import-change",
                    {"role": account.role.value, "localities": sorted(account.localities),
                     "unit_code": account.unit_code, "active": not account.disabled, **_contact_given(account)})
        uow.emit(events_out.REGISTRY_TOPIC, events_out.account_changed(account, now))
        return "changed"

    @staticmethod
    def _existing(repo: SqlAccounts, login: str) -> Account:
        account = repo.by_login(normalise_login(login))
        if account is None:
            raise UnknownAccount(login)
        return account

    @staticmethod
    def _audit(uow: RoutingUnitOfWork, now: datetime, by: str, account: Account, action: str,
               payload: dict[str, Any]) -> None:
        uow.record(AuditEntry(at=now.astimezone(UTC).isoformat(), actor_id=by, actor_role="admin",
                              entity="account", entity_id=account.id, action=action, payload=payload))
