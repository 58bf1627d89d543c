"""Tài khoản — the people who sign in (officials, heads, supervisors, provincial admins), the
systems that publish with an API key, the sign-in sessions, and the rules of signing in.

Plain Python: hashing a password, checking a one-time code and signing a token are the ports
of :mod:`giaitrinh_routing.service_layer.accounts`, done by adapters. Roles are the case
workflow's :class:`~giaitrinh_routing.domain.case.Role` (their values are the token's role
names); a provincial admin's scope is the whole deployment, which serves one province.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from giaitrinh_routing.domain.case import Actor, Problem, Role
from giaitrinh_routing.domain.registry import missing_columns


class Body(StrEnum):
    """Cơ quan giám sát — the body a supervisor sits in (each is a supervising unit of the
    locality, by the same code)."""

    HDND = "hdnd"  # Hội đồng nhân dân
    MTTQ = "mttq"  # Ủy ban Mặt trận Tổ quốc Việt Nam
    UBKT = "ubkt"  # Ủy ban Kiểm tra Đảng ủy


# The roles a person's account may hold (the workflow's REQUESTER and SYSTEM are not accounts).
ACCOUNT_ROLES = (Role.OFFICIAL, Role.UNIT_HEAD, Role.LOCALITY_HEAD, Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
PUBLISHER = "publisher"  # the token role of a system publishing with an API key

LOGIN_FORM = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
LOCALITY_FORM = re.compile(r"^[0-9]{1,10}$")
UNIT_FORM = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 256
NAME_MAX = 200
EMAIL_MAX = 254  # RFC 5321's longest path
# A plain local@domain.tld address: no display name, nothing that could break a mail header.
EMAIL_FORM = re.compile(r"^[^@\s<>\"',;()\[\]\x00-\x1f\x7f]{1,64}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?"
                        r"(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+$")
# A Vietnamese mobile number — the only kind an SMS gateway reaches: +84, 84 or 0, then one of
# the mobile prefixes (3, 5, 7, 8, 9) and eight digits.
MOBILE_FORM = re.compile(r"^(?:\+84|84|0)([35789][0-9]{8})$")


class AccountProblems(Exception):
    """The account's data breaks a rule (each :class:`Problem` names its field)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.en for p in problems))
        self.problems = problems


def normalise_login(raw: str) -> str:
    """The login as stored and compared: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", raw).strip().lower()


def normalise_email(raw: str) -> str:
    """The address as stored: trimmed, NFC, its domain in lower case (the local part is the
    mailbox's own business, RFC 5321 §2.4)."""
    text = unicodedata.normalize("NFC", raw).strip()
    local, at, domain = text.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else text


def normalise_phone(raw: str) -> str:
    """The number as stored, in E.164 (+84…) — the form notify hands every SMS gateway. Spaces,
    dots, dashes and brackets are dropped; an invalid number is returned as it came (trimmed)
    for :func:`contact_problems` to name."""
    digits = raw.strip()
    for sep in " .-()":
        digits = digits.replace(sep, "")
    found = MOBILE_FORM.match(digits)
    return "+84" + found.group(1) if found else raw.strip()


def contact_problems(email: str | None, phone: str | None) -> list[Problem]:
    """What is wrong with a staff member's email and phone (both optional, already normalised):
    notify sends alerts to them, so an address notify could not use is refused here, when the
    admin can still correct it, not found out at the first overdue case."""
    problems = []
    if email and (len(email) > EMAIL_MAX or not EMAIL_FORM.match(email)):
        problems.append(Problem("email", "invalid_email", "Địa chỉ email không hợp lệ (ví dụ: ten@xa.gov.vn).",
                                "Not an email address (e.g. name@commune.gov.vn)."))
    if phone and not MOBILE_FORM.match(phone):
        problems.append(Problem("phone", "invalid_phone",
                                "Số di động Việt Nam không hợp lệ (ví dụ: 0912 345 678 hoặc +84912345678).",
                                "Not a Vietnamese mobile number (e.g. 0912 345 678 or +84912345678)."))
    return problems


def password_problems(password: str, login: str) -> list[Problem]:
    """What is wrong with a new password: length, and not the login itself."""
    problems = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append(Problem("password", "length",
                                f"Mật khẩu dài từ {PASSWORD_MIN} đến {PASSWORD_MAX} ký tự.",
                                f"A password has {PASSWORD_MIN} to {PASSWORD_MAX} characters."))
    elif login and login in password.lower():
        problems.append(Problem("password", "contains_login", "Mật khẩu không được chứa tên đăng nhập.",
                                "The password must not contain the login."))
    elif len(set(password)) < 4:
        problems.append(Problem("password", "too_simple", "Mật khẩu quá đơn giản.",
                                "The password is too simple."))
    return problems


@dataclass
class Account:
    """Tài khoản của một người: who they are, their role, where they serve, and how they
    prove it (password hash; a TOTP secret, required for provincial admins)."""

    id: str
    login: str
    display_name: str
    role: Role
    localities: frozenset[str]
    unit_code: str | None
    body: Body | None
    password_hash: str
    created_at: datetime
    password_changed_at: datetime
    totp_secret: str | None = None
    totp_last_step: int | None = None  # the last one-time code used, never accepted twice
    disabled: bool = False
    # Where notify reaches the person beyond the console's inbox (staff data: shown to the
    # provincial admin and carried on account.changed to notify, never on a public page).
    email: str | None = None
    phone: str | None = None

    @classmethod
    def open(cls, *, id: str, login: str, display_name: str, role: str,
             localities: frozenset[str] | set[str], unit_code: str | None, body: str | None,
             password_hash: str, now: datetime, totp_secret: str | None = None,
             email: str | None = None, phone: str | None = None) -> Account:
        """Mở tài khoản: the rules of each role — an official or unit head belongs to one unit
        of one locality; a locality head to one or more localities; a supervisor to a body of
        one locality; a provincial admin to the whole deployment, with a second factor."""
        login = normalise_login(login)
        problems = []
        if not LOGIN_FORM.match(login):
            problems.append(Problem("login", "invalid_login",
                                    "Tên đăng nhập 3–64 ký tự: chữ thường không dấu, số, '.', '-', '_'.",
                                    "A login has 3–64 characters: a–z, 0–9, '.', '-', '_'."))
        if not display_name.strip() or len(display_name) > NAME_MAX:
            problems.append(Problem("display_name", "required", f"Họ tên từ 1 đến {NAME_MAX} ký tự.",
                                    f"A name of 1 to {NAME_MAX} characters."))
        try:
            the_role = Role(role)
        except ValueError:
            the_role = None
        if the_role not in ACCOUNT_ROLES:
            problems.append(Problem("role", "invalid_choice",
                                    "Vai trò: " + ", ".join(r.value for r in ACCOUNT_ROLES) + ".",
                                    "The role is one of: " + ", ".join(r.value for r in ACCOUNT_ROLES) + "."))
        bad = sorted(code for code in localities if not LOCALITY_FORM.match(code))
        if bad:
            problems.append(Problem("localities", "invalid_locality", "Mã xã, phường là chữ số.",
                                    "A locality code is digits."))
        the_body = None
        if body:
            try:
                the_body = Body(body)
            except ValueError:
                problems.append(Problem("body", "invalid_choice", "Cơ quan: hdnd, mttq, ubkt.",
                                        "The body is one of: hdnd, mttq, ubkt."))
        if unit_code is not None and not UNIT_FORM.match(unit_code):
            problems.append(Problem("unit_code", "invalid_unit", "Mã đơn vị không hợp lệ.",
                                    "The unit code is not valid."))
        problems += _role_problems(the_role, localities, unit_code, body)
        email, phone = normalise_email(email or "") or None, normalise_phone(phone or "") or None
        problems += contact_problems(email, phone)
        if problems:
            raise AccountProblems(problems)
        assert the_role is not None
        if the_role is Role.SUPERVISOR:
            unit_code = the_body.value if the_body else None  # the body is the supervising unit
        return cls(id=id, login=login, display_name=display_name.strip(), role=the_role,
                   localities=frozenset(localities), unit_code=unit_code, body=the_body,
                   password_hash=password_hash, created_at=now, password_changed_at=now,
                   totp_secret=totp_secret, email=email, phone=phone)

    def set_contact(self, email: str | None, phone: str | None) -> None:
        """Thông tin liên hệ: replace the email and phone (None or "" clears one);
        :class:`AccountProblems` names each invalid one and changes nothing."""
        email, phone = normalise_email(email or "") or None, normalise_phone(phone or "") or None
        if problems := contact_problems(email, phone):
            raise AccountProblems(problems)
        self.email, self.phone = email, phone

    @property
    def totp_required(self) -> bool:
        """A provincial admin signs in with a one-time code too."""
        return self.role is Role.PROVINCIAL_ADMIN

    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.localities, self.unit_code)


def _role_problems(role: Role | None, localities, unit_code: str | None, body: str | None) -> list[Problem]:
    def problem(name: str, vi: str, en: str) -> Problem:
        return Problem(name, "required_for_role", vi, en)

    out = []
    if role in (Role.OFFICIAL, Role.UNIT_HEAD, Role.SUPERVISOR) and len(localities) != 1:
        out.append(problem("localities", "Vai trò này thuộc đúng một xã, phường.",
                           "This role belongs to exactly one locality."))
    if role is Role.LOCALITY_HEAD and not localities:
        out.append(problem("localities", "Chọn ít nhất một xã, phường.", "Give at least one locality."))
    if role in (Role.OFFICIAL, Role.UNIT_HEAD) and not unit_code:
        out.append(problem("unit_code", "Chọn đơn vị của cán bộ.", "Give the official's unit."))
    if role is Role.SUPERVISOR and not body:
        out.append(problem("body", "Chọn cơ quan giám sát: hdnd, mttq, ubkt.",
                           "Give the supervising body: hdnd, mttq, ubkt."))
    if role is Role.PROVINCIAL_ADMIN and (localities or unit_code):
        out.append(Problem("localities", "not_for_role",
                           "Quản trị cấp tỉnh phụ trách cả tỉnh: không chọn xã, phường hay đơn vị.",
                           "A provincial admin serves the whole province: no locality or unit."))
    return out


@dataclass(frozen=True)
class LockoutPolicy:
    """Khóa tạm: ``max_failures`` wrong answers within ``window`` lock the login for
    ``lock_for``. Counted per login name, whether an account has it or not, so that being
    locked tells nothing about who has an account."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


@dataclass
class SignInThrottle:
    """The failed sign-ins of one login name."""

    login: str
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> datetime | None:
        """Until when the login is locked, if it is now."""
        return self.locked_until if self.locked_until is not None and now < self.locked_until else None

    def fail(self, now: datetime, policy: LockoutPolicy) -> None:
        if self.window_start is None or now - self.window_start > policy.window:
            self.window_start, self.failures = now, 0
        self.failures += 1
        if self.failures >= policy.max_failures:
            self.locked_until = now + policy.lock_for
            self.window_start, self.failures = None, 0

    def forgotten(self, now: datetime, policy: LockoutPolicy) -> bool:
        """Whether this record says nothing any more (no lock, window over): it can go."""
        return self.locked(now) is None and (self.window_start is None
                                             or now - self.window_start > policy.window)


class SignInRefused(Exception):
    """Wrong login, password or one-time code — one answer for all three, and for a login
    nobody has, so that the answer does not tell which accounts exist."""


class LoginLocked(Exception):
    """Too many wrong answers for this login: locked until ``until``."""

    def __init__(self, until: datetime):
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


class AccountDisabled(Exception):
    """The credentials were right, but an admin has disabled the account."""


class SessionEnded(Exception):
    """The sign-in session is unknown, expired or revoked, or its account is disabled."""


@dataclass
class SignInSession:
    """Phiên đăng nhập: what lets routing renew a person's token without their password. Only
    a digest of its secret is stored."""

    id: str
    account_id: str
    secret_digest: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass
class ApiKey:
    """Khóa API of a system that publishes requests (the inbound channel, Open311 POST) for
    its localities. Only a digest of the key is stored; the key is shown once."""

    id: str
    name: str
    localities: frozenset[str]
    key_digest: str
    created_at: datetime
    disabled: bool = False

    @classmethod
    def open(cls, *, id: str, name: str, localities: frozenset[str] | set[str], key_digest: str,
             now: datetime) -> ApiKey:
        problems = []
        if not LOGIN_FORM.match(name):
            problems.append(Problem("name", "invalid_name",
                                    "Tên hệ thống 3–64 ký tự: chữ thường không dấu, số, '.', '-', '_'.",
                                    "A system's name has 3–64 characters: a–z, 0–9, '.', '-', '_'."))
        if not localities or any(not LOCALITY_FORM.match(code) for code in localities):
            problems.append(Problem("localities", "required", "Chọn các xã, phường (mã số) hệ thống gửi cho.",
                                    "Give the localities (codes) the system publishes for."))
        if problems:
            raise AccountProblems(problems)
        return cls(id, name, frozenset(localities), key_digest, now)


# -- officials as CSV (``giaitrinh routing users export|import``) ---------------------------------
# The columns of a locality's officials file; ``unit_code`` of a supervisor is their body (the
# supervising unit of the same code). No password hash or TOTP secret ever goes in or out.
OFFICIAL_COLUMNS = ("login", "full_name", "role", "unit_code", "email", "phone", "active")
# The roles an import may give: a locality's own. A provincial admin is made one by one, with
# a second factor, never from a file a locality hands in.
LOCALITY_ROLES = (Role.OFFICIAL, Role.UNIT_HEAD, Role.LOCALITY_HEAD, Role.SUPERVISOR)
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_CHECKED_AT = datetime(2000, 1, 1)  # Account.open wants a time; the rows are only checked with it


@dataclass(frozen=True)
class OfficialRow:
    """One good row of an officials file, as the account it describes should be."""

    line: int
    login: str
    display_name: str
    role: Role
    unit_code: str | None
    body: Body | None
    email: str | None
    phone: str | None
    active: bool


def official_csv_row(account: Account) -> list[str]:
    """An account as a row of :data:`OFFICIAL_COLUMNS` (what the import reads back unchanged)."""
    return [account.login, account.display_name, account.role.value, account.unit_code or "",
            account.email or "", account.phone or "", "false" if account.disabled else "true"]


# Account.open names its fields as the account does; the file's columns name some otherwise (a
# supervisor's body is the file's unit_code).
_COLUMN_OF_FIELD = {"display_name": "full_name", "body": "unit_code"}


def official_rows(rows, locality_code: str,
                  unit_codes: set[str]) -> tuple[list[OfficialRow], list[tuple[int, Problem]]]:
    """Check every row of an officials file of ``locality_code`` (whose units are
    ``unit_codes``) by the rules :meth:`Account.open` applies to one account, and a file's own:
    a locality role only, a unit of this locality, each login once. Returns the good rows and
    each problem as (line, :class:`Problem`), its field the column as the file spells it ("" for
    the row as a whole); line numbers count the header as line 1."""
    parsed: list[OfficialRow] = []
    problems: list[tuple[int, Problem]] = []
    seen: set[str] = set()
    roles = ", ".join(r.value for r in LOCALITY_ROLES)
    for line, row in enumerate(rows, start=2):
        missing = missing_columns(row, OFFICIAL_COLUMNS)
        if missing:
            problems.append((line, missing))
            continue
        value = {c: row[c].strip() for c in OFFICIAL_COLUMNS}
        errors: list[Problem] = []
        role = value["role"]
        if role not in {r.value for r in LOCALITY_ROLES}:
            errors.append(Problem("role", "invalid_choice", f"Vai trò là một trong: {roles}.",
                                  f"The role is one of: {roles}."))
        unit = value["unit_code"] or None
        if unit is not None and unit not in unit_codes:
            errors.append(Problem("unit_code", "unknown_unit", f"{unit!r} không phải đơn vị của {locality_code}.",
                                  f"{unit!r} is not a unit of {locality_code}."))
        active = value["active"].lower()
        if active not in _TRUE | _FALSE:
            errors.append(Problem("active", "invalid_choice", "Ghi true (đang làm việc) hoặc false (tạm khóa).",
                                  "true (serving) or false (disabled)."))
        supervisor = role == Role.SUPERVISOR.value
        account = None
        try:
            account = Account.open(
                id="", login=value["login"], display_name=value["full_name"], role=role,
                localities={locality_code}, unit_code=None if supervisor else unit,
                body=unit if supervisor else None, password_hash="", now=_CHECKED_AT,
                email=value["email"], phone=value["phone"])
        except AccountProblems as exc:
            errors += [replace(p, field=_COLUMN_OF_FIELD.get(p.field, p.field))
                       for p in exc.problems if p.field != "role"]  # checked above
        login = normalise_login(value["login"])
        if login in seen:
            errors.append(Problem("login", "duplicate", f"{login!r} có hai lần trong tệp.",
                                  f"{login!r} appears twice in the file."))
        seen.add(login)
        problems += [(line, e) for e in errors]
        if not errors and account is not None:
            parsed.append(OfficialRow(line, account.login, account.display_name, account.role,
                                      account.unit_code, account.body, account.email, account.phone,
                                      active in _TRUE))
    return parsed, problems
