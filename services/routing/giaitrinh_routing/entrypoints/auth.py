"""Routing's sign-in API: tokens for API clients, cookies for pages, renewal, sign-out, the
password change. The sign-in pages (with the UI shell) call the same :class:`AccountService`
and cookie helpers (:func:`giaitrinh_common.auth.set_sign_in_cookies`)."""
from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request

from giaitrinh_common.auth import (
    PUBLIC,
    SESSION_COOKIE,
    STAFF,
    Principal,
    allow,
    check_csrf,
    clear_sign_in_cookies,
    current_principal,
    renew_csrf_token,
    set_sign_in_cookies,
    signed_in,
)
from giaitrinh_common.web import ApiError, detail, json_body, shown
from giaitrinh_routing.adapters.credentials import Argon2Passwords, Ed25519Signer, TotpCodes
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.accounts import (
    AccountDisabled,
    AccountProblems,
    LockoutPolicy,
    LoginLocked,
    SessionEnded,
    SignInRefused,
)
from giaitrinh_routing.service_layer.accounts import AccountService, Grant

api = Blueprint("routing_auth", __name__, url_prefix="/api/v1/auth")
# Under /console/: through the gateway, only /console/ reaches routing's pages.
pages = Blueprint("routing_auth_pages", __name__, url_prefix="/console")

LOGIN_MAX, PASSWORD_MAX, CODE_MAX, SECRET_MAX = 64, 1024, 16, 200


def account_service(runtime: RoutingRuntime) -> AccountService:
    """The accounts service on the runtime's database, clock and settings (web and CLI)."""
    s = runtime.settings
    return AccountService(
        unit_of_work=runtime.unit_of_work, now=runtime.now, passwords=Argon2Passwords(), codes=TotpCodes(),
        signer=Ed25519Signer(s.auth_private_key), token_seconds=s.token_seconds,
        session_seconds=int(s.session_hours * 3600),
        lockout=LockoutPolicy(s.sign_in_max_failures, _minutes(s.sign_in_window_minutes),
                              _minutes(s.sign_in_lock_minutes)))


def _minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def _service() -> AccountService:
    return current_app.extensions["giaitrinh_accounts"]


def _secure() -> bool:
    return bool(current_app.config.get("GIAITRINH_COOKIE_SECURE"))


# -- reading the body ---------------------------------------------------------------------------
def _body(allowed: dict[str, int], required: tuple[str, ...] = ()) -> dict[str, str]:
    """The JSON body's text fields (name → longest length): unknown, missing, non-text and
    too long ones refused together with 422, each named."""
    body = json_body()
    problems = [detail(shown(k), "unknown_field", "Trường không được hỗ trợ.", "Unknown field.")
                for k in body if k not in allowed]
    for name, longest in allowed.items():
        value = body.get(name)
        if value is None:
            if name in required:
                problems.append(detail(name, "required", "Bắt buộc.", "Required."))
        elif not isinstance(value, str):
            problems.append(detail(name, "wrong_type", "Phải là chuỗi ký tự.", "Must be a string."))
        elif len(value) > longest:
            problems.append(detail(name, "too_long", f"Tối đa {longest} ký tự.", f"At most {longest} characters."))
    if problems:
        raise ApiError(422, "invalid_fields", "Một số trường không hợp lệ.", "Some fields are not valid.",
                       problems[:20])
    return {k: v for k, v in body.items() if isinstance(v, str)}


def _problems(exc: AccountProblems) -> ApiError:
    return ApiError(422, "invalid_fields", "Một số trường không hợp lệ.", "Some fields are not valid.",
                    [detail(p.field, p.code, p.vi, p.en) for p in exc.problems])


def _refused() -> ApiError:
    return ApiError(401, "invalid_credentials",
                    "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng.",
                    "The login, password or one-time code is wrong.")


def _locked(exc: LoginLocked) -> ApiError:
    seconds = max(1, math.ceil((exc.until - _service().now()).total_seconds()))
    minutes = math.ceil(seconds / 60)
    return ApiError(429, "account_locked",
                    f"Đăng nhập sai quá nhiều lần: tên đăng nhập này tạm khóa, hãy thử lại sau {minutes} phút.",
                    f"Too many failed sign-ins: this login is locked; try again in {minutes} minutes.",
                    headers={"Retry-After": str(seconds)})


def _disabled() -> ApiError:
    return ApiError(403, "account_disabled", "Tài khoản đã bị vô hiệu hóa; hãy liên hệ quản trị viên.",
                    "The account is disabled; ask an administrator.")


def _session_ended() -> ApiError:
    return ApiError(401, "session_ended", "Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại.",
                    "The sign-in session has ended; please sign in again.",
                    headers={"WWW-Authenticate": 'Bearer realm="giaitrinh"'})


def _sign_in(fields: dict[str, str]) -> Grant:
    try:
        return _service().sign_in(fields["login"], fields["password"], fields.get("totp", ""))
    except SignInRefused:
        raise _refused() from None
    except LoginLocked as exc:
        raise _locked(exc) from None
    except AccountDisabled:
        raise _disabled() from None


def _principal(grant: Grant) -> dict[str, Any]:
    c = grant.claims
    return {"id": c["sub"], "role": c["role"], "localities": c["loc"], "unit_code": c["unit"],
            "body": c["body"], "name": c["name"], "expires_at": c["exp"]}


def _token_answer(grant: Grant) -> dict[str, Any]:
    answer = {"token": grant.token, "token_type": "Bearer", "expires_in": grant.token_seconds,
              "expires_at": grant.expires_at, "principal": _principal(grant)}
    if grant.session_secret is not None:
        answer |= {"refresh_token": grant.session_secret, "refresh_expires_in": grant.session_seconds}
    return answer


# -- the endpoints ------------------------------------------------------------------------------
SIGN_IN_FIELDS = {"login": LOGIN_MAX, "password": PASSWORD_MAX, "totp": CODE_MAX}


@api.post("/token")
@allow(PUBLIC)
def token():
    """Sign in for an API client: ``{"login", "password", "totp"?}`` (a person) or
    ``{"api_key"}`` (a publishing system) → a bearer token (and, for a person, a
    ``refresh_token`` that renews it at ``/refresh``)."""
    body = json_body()
    if "api_key" in body:
        fields = _body({"api_key": SECRET_MAX}, ("api_key",))
        try:
            grant = _service().exchange_api_key(fields["api_key"])
        except SignInRefused:
            raise ApiError(401, "invalid_api_key", "Khóa API không đúng hoặc đã bị vô hiệu hóa.",
                           "The API key is wrong or disabled.") from None
        return jsonify(_token_answer(grant))
    return jsonify(_token_answer(_sign_in(_body(SIGN_IN_FIELDS, ("login", "password")))))


@api.post("/session")
@allow(PUBLIC)
def session():
    """Sign in for pages: the same body as ``/token``; the token and the session travel in
    HttpOnly, SameSite=Strict cookies (never in the body), with a new CSRF token."""
    grant = _sign_in(_body(SIGN_IN_FIELDS, ("login", "password")))
    resp = jsonify(principal=_principal(grant), expires_in=grant.token_seconds, csrf_token=renew_csrf_token())
    set_sign_in_cookies(resp, token=grant.token, token_seconds=grant.token_seconds, secure=_secure(),
                        session_secret=grant.session_secret, session_seconds=grant.session_seconds)
    return resp


def _session_secret(fields: dict[str, str]) -> tuple[str, bool]:
    """The session secret of the body's ``refresh_token``, else of the cookie (then the
    request must carry its CSRF token: the browser sends the cookie by itself)."""
    if fields.get("refresh_token"):
        return fields["refresh_token"], False
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        check_csrf()
    return cookie[:SECRET_MAX], True


@api.post("/refresh")
@allow(PUBLIC)
def refresh():
    """A new token (the account read again: role, localities, enabled) for the session of
    ``{"refresh_token"}`` or of the session cookie (the new token then goes in the cookie)."""
    secret, by_cookie = _session_secret(_body({"refresh_token": SECRET_MAX}))
    try:
        grant = _service().refresh(secret)
    except SessionEnded:
        raise _session_ended() from None
    if not by_cookie:
        return jsonify(_token_answer(grant))
    resp = jsonify(principal=_principal(grant), expires_in=grant.token_seconds)
    set_sign_in_cookies(resp, token=grant.token, token_seconds=grant.token_seconds, secure=_secure())
    return resp


@api.post("/sign-out")
@allow(PUBLIC)
def sign_out():
    """End the session of ``{"refresh_token"}`` or of the cookie; the cookies are cleared."""
    secret, _ = _session_secret(_body({"refresh_token": SECRET_MAX}))
    _service().sign_out(secret)
    resp = current_app.response_class(status=204)
    clear_sign_in_cookies(resp, secure=_secure())
    return resp


@api.get("/me")
@allow(signed_in())
def me():
    """Who the token says is asking."""
    principal: Principal = current_principal()  # type: ignore[assignment]
    return jsonify(principal.as_dict())


@api.post("/password")
@allow(signed_in(*STAFF))
def change_password():
    """``{"current_password", "new_password"}``: the person's own password; their other
    sessions end."""
    fields = _body({"current_password": PASSWORD_MAX, "new_password": PASSWORD_MAX},
                   ("current_password", "new_password"))
    principal: Principal = current_principal()  # type: ignore[assignment]
    try:
        _service().change_password(principal.id, fields["current_password"], fields["new_password"],
                                   keep_session=principal.session_id)
    except AccountProblems as exc:
        raise _problems(exc) from None
    except SessionEnded:
        raise _session_ended() from None
    return current_app.response_class(status=204)


def _local_path(target: str) -> str:
    """``next`` only ever leads somewhere on this site (no scheme, host or ``//``)."""
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target)):
        return "/"
    return target


@pages.get("/gia-han")
@allow(PUBLIC)
def refresh_and_return():
    """Silent renewal for pages: a page whose token cookie has expired sends the browser here
    (``?next=`` the page); with an open session the new token cookie is set and the browser
    goes back (303), else 401 (pages: to sign-in). No CSRF token: it changes nothing but
    the token cookie, and the session cookie is SameSite=Strict."""
    try:
        grant = _service().refresh(request.cookies.get(SESSION_COOKIE, "")[:SECRET_MAX])
    except SessionEnded:
        raise _session_ended() from None
    resp = redirect(_local_path(request.args.get("next", "/")), code=303)
    set_sign_in_cookies(resp, token=grant.token, token_seconds=grant.token_seconds, secure=_secure())
    return resp
