"""The console's sign-in pages (*đăng nhập*): sign in (with the TOTP second factor where the
account has one), sign out, change the password; and the accounts admin page. They call the same
:class:`~giaitrinh_routing.service_layer.accounts.AccountService` as the sign-in API.

A console page reached with no, an expired or a tampered token answers 401; for a browser
asking for a page :func:`_back_to_sign_in` turns that into a redirect: to the silent renewal
(``/console/gia-han``, in ``auth.py``) while a session cookie is there, else to the sign-in page
with ``next`` and a reason the page states in both languages. Forms carry the CSRF token
(:func:`giaitrinh_common.auth.install_auth` checks it before any view runs)."""
from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from giaitrinh_common.auth import (
    BODIES,
    POLICIES,
    PROVINCIAL_ADMIN,
    PUBLIC,
    RECORDING_ROLES,
    SESSION_COOKIE,
    STAFF,
    Principal,
    allow,
    clear_sign_in_cookies,
    csrf_token,
    current_principal,
    renew_csrf_token,
    set_sign_in_cookies,
    signed_in,
)
from giaitrinh_common.ui import Pagination
from giaitrinh_common.ui.shell import wants_page
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_routing.domain.accounts import (
    LOGIN_FORM,
    AccountDisabled,
    AccountProblems,
    LoginLocked,
    SessionEnded,
    SignInRefused,
)
from giaitrinh_routing.entrypoints.auth import (
    LOGIN_MAX,
    PASSWORD_MAX,
    SECRET_MAX,
    _disabled,
    _local_path,
    _locked,
    _refused,
    _secure,
    _service,
)
from giaitrinh_routing.service_layer.accounts import UnknownAccount

pages = Blueprint("console_auth", __name__, url_prefix="/console", template_folder="templates")

SIGN_IN = "console_auth.sign_in"
ADMIN = signed_in(PROVINCIAL_ADMIN)
PER_PAGE = 25

# Why the sign-in page is shown, in both languages: a fixed set, so `?reason=` reflects nothing.
REASONS = {
    "signed_out": ("Bạn đã đăng xuất.", "You have signed out."),
    "expired": ("Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                "Your sign-in has expired; please sign in again."),
    "required": ("Vui lòng đăng nhập để tiếp tục.", "Please sign in to continue."),
}

# The account roles and supervising bodies as people read them (the values are the token's
# and the API's names; a page never shows them raw).
ROLE_LABELS = {
    "official": _l("Official"),
    "unit_head": _l("Unit head"),
    "locality_head": _l("Locality head"),
    "supervisor": _l("Supervisor"),
    "provincial_admin": _l("Provincial admin"),
}
BODY_LABELS = {
    "hdnd": _l("People's Council (HĐND)"),
    "mttq": _l("Fatherland Front (MTTQ)"),
    "ubkt": _l("Party Inspection Committee (UBKT)"),
}
CONTACT_MAX = 254

# The console's menu: (endpoint, label), shown when the endpoint exists and the person's role may use it.
MENU = [
    ("console.inbox", _l("Cases")),
    ("console_admin.localities", _l("Localities")),
    ("console_auth.accounts", _l("Accounts")),
    ("console_auth.password", _l("Password")),
]


@pages.app_context_processor
def _console_menu() -> dict[str, Any]:
    """The menu of the console's layout: only pages that exist and that this person may open."""
    principal = current_principal()
    items: list[tuple[str, Any, bool]] = []
    if principal is not None and request.blueprint and request.blueprint.startswith("console"):
        table = current_app.extensions.get(POLICIES, {})
        for endpoint, label in MENU:
            policy = table.get(endpoint)
            if policy is None or (policy.roles and principal.role not in policy.roles):
                continue
            items.append((url_for(endpoint), label, request.endpoint == endpoint))
    # Intake's recording page (another service, linked by its path like notify's inbox).
    may_record = principal is not None and principal.role in RECORDING_ROLES
    return {"console_menu": items, "console_person": principal, "csrf_token": csrf_token,
            "may_record": may_record}


@pages.after_app_request
def _back_to_sign_in(response: Response) -> Response:
    """A console page refused for want of a valid token: the browser goes to renew it or to sign in."""
    if (response.status_code != 401 or request.method != "GET" or not request.path.startswith("/console/")
            or request.path.startswith("/console/dang-nhap") or not wants_page()):
        return response
    here = request.full_path.rstrip("?")
    if request.cookies.get(SESSION_COOKIE) and request.endpoint != "routing_auth_pages.refresh_and_return":
        return redirect(url_for("routing_auth_pages.refresh_and_return", next=here), code=303)
    reason = "expired" if request.cookies.get(SESSION_COOKIE) or "invalid_token" in response.headers.get(
        "WWW-Authenticate", "") else "required"
    nxt = request.args.get("next", "") if request.endpoint == "routing_auth_pages.refresh_and_return" else here
    resp = redirect(url_for(SIGN_IN) + "?" + urlencode({"next": _local_path(nxt), "reason": reason}), code=303)
    if reason == "expired":
        clear_sign_in_cookies(resp, secure=_secure())
    return resp


def _form(name: str, longest: int) -> str:
    return (request.form.get(name) or "")[:longest]


def _error(exc: ApiError) -> dict[str, Any]:
    return {"code": exc.code, "message": {"vi": exc.vi, "en": exc.en}, "details": exc.details}


def _problems(exc: AccountProblems) -> dict[str, Any]:
    return {"code": "invalid_fields", "message": {"vi": "Một số trường không hợp lệ.",
                                                   "en": "Some fields are not valid."},
            "details": [detail(p.field, p.code, p.vi, p.en) for p in exc.problems]}


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the policy admits only signed-in people
    return principal


# -- signing in and out -------------------------------------------------------------------------
@pages.get("/dang-nhap")
@allow(PUBLIC)
def sign_in():
    """The sign-in form; ``?reason=`` picks one of :data:`REASONS` to state."""
    reason = REASONS.get(request.args.get("reason", ""))
    notice = {"vi": reason[0], "en": reason[1]} if reason else None
    return render_template("console/sign_in.html", notice=notice, error=None, login="",
                           next=_local_path(request.args.get("next", "/console/")))


@pages.post("/dang-nhap")
@allow(PUBLIC)
def sign_in_post():
    """Login, password and (where the account has one) the one-time code in one form: any wrong
    part, or a login nobody has, gets the same answer (the service makes it cost the same time)."""
    login, nxt = _form("login", LOGIN_MAX), _local_path(request.form.get("next", "/console/"))
    try:
        grant = _service().sign_in(login, _form("password", PASSWORD_MAX), _form("totp", 16))
    except SignInRefused:
        problem, status = _refused(), 401
    except LoginLocked as exc:
        problem, status = _locked(exc), 429
    except AccountDisabled:
        problem, status = _disabled(), 403
    else:
        resp = redirect(nxt if nxt.startswith("/") and nxt != "/" else url_for("console.inbox"), code=303)
        set_sign_in_cookies(resp, token=grant.token, token_seconds=grant.token_seconds, secure=_secure(),
                            session_secret=grant.session_secret, session_seconds=grant.session_seconds)
        renew_csrf_token()  # no CSRF token chosen before signing in survives it
        return resp
    html = render_template("console/sign_in.html", notice=None, error=_error(problem), login=login, next=nxt)
    return Response(html, status=status, headers=problem.headers or {}, mimetype="text/html")


@pages.post("/dang-xuat")
@allow(PUBLIC)
def sign_out():
    """End the session of the cookie (the form's CSRF token is checked before this runs)."""
    _service().sign_out(request.cookies.get(SESSION_COOKIE, "")[:SECRET_MAX])
    resp = redirect(url_for(SIGN_IN, reason="signed_out"), code=303)
    clear_sign_in_cookies(resp, secure=_secure())
    return resp


# -- one's own password -------------------------------------------------------------------------
@pages.get("/mat-khau")
@allow(signed_in(*STAFF))
def password():
    return render_template("console/password.html", error=None, done=request.args.get("done") == "1")


@pages.post("/mat-khau")
@allow(signed_in(*STAFF))
def password_post():
    principal = _principal()
    try:
        _service().change_password(principal.id, _form("current_password", PASSWORD_MAX),
                                   _form("new_password", PASSWORD_MAX), keep_session=principal.session_id)
    except AccountProblems as exc:
        return render_template("console/password.html", error=_problems(exc), done=False), 422
    except SessionEnded:
        return redirect(url_for(SIGN_IN, reason="expired"), code=303)
    return redirect(url_for("console_auth.password", done=1), code=303)


# -- the accounts admin -------------------------------------------------------------------------
def _accounts_page(error: dict[str, Any] | None = None, shown: dict[str, Any] | None = None,
                   form: dict[str, str] | None = None, status: int = 200, saved: str | None = None):
    page = page_args(default_size=PER_PAGE, max_size=100)
    items, total = _service().accounts(page.offset, page.size)
    html = render_template("console/accounts.html", accounts=items, listing=Pagination(page, total),
                           error=error, shown=shown, form=form or {}, roles=_roles(), bodies=_bodies(),
                           role_labels=ROLE_LABELS, body_labels=BODY_LABELS, saved=saved)
    return Response(html, status=status, mimetype="text/html")


def _roles() -> list[tuple[str, Any]]:
    return [(r, ROLE_LABELS.get(r, r)) for r in sorted(STAFF)]


def _bodies() -> list[tuple[str, Any]]:
    return [(b, BODY_LABELS.get(b, b)) for b in sorted(BODIES)]


@pages.get("/tai-khoan")
@allow(ADMIN)
def accounts():
    """Every account, a page at a time, with the form to add one (``?done=contact&login=``:
    says that account's contact was saved; only a login's form is echoed)."""
    saved = request.args.get("login", "")[:LOGIN_MAX]
    done = request.args.get("done") == "contact" and LOGIN_FORM.match(saved)
    return _accounts_page(saved=saved if done else None)


@pages.post("/tai-khoan")
@allow(ADMIN)
def add_account():
    """Add an account; its first password (and a provincial admin's TOTP secret) shown once."""
    f = {k: _form(k, 200) for k in ("login", "display_name", "role", "localities", "unit_code", "body")}
    f |= {k: _form(k, CONTACT_MAX + 1) for k in ("email", "phone")}  # one over: too long is said, not cut
    temporary = _one_time_password()
    try:
        new = _service().add(login=f["login"], display_name=f["display_name"], role=f["role"],
                             localities={c.strip() for c in f["localities"].split(",") if c.strip()},
                             unit_code=f["unit_code"] or None, body=f["body"] or None, password=temporary,
                             with_totp=bool(request.form.get("with_totp")), by=_principal().id,
                             email=f["email"], phone=f["phone"])
    except AccountProblems as exc:
        return _accounts_page(error=_problems(exc), form=f, status=422)
    return _accounts_page(shown={"login": new.account.login, "password": temporary, "totp_uri": new.totp_uri,
                                 "totp_secret": new.account.totp_secret})


@pages.post("/tai-khoan/<login>/trang-thai")
@allow(ADMIN)
def set_disabled(login: str):
    """Disable (its sessions end at once) or enable an account."""
    disabled = request.form.get("disabled") == "1"
    try:
        _service().set_disabled(login[:LOGIN_MAX], disabled, by=_principal().id)
    except UnknownAccount:
        raise ApiError.standard(404) from None
    return redirect(url_for("console_auth.accounts", page=request.args.get("page", 1)), code=303)


def _contact_page(login: str, form: dict[str, str], error: dict[str, Any] | None = None, status: int = 200):
    html = render_template("console/account_contact.html", login=login, form=form, error=error)
    return Response(html, status=status, mimetype="text/html")


@pages.get("/tai-khoan/<login>/lien-he")
@allow(ADMIN)
def account_contact(login: str):
    """The form for an account's email and mobile phone (where notify reaches the person)."""
    try:
        account = _service().account(login[:LOGIN_MAX])
    except UnknownAccount:
        raise ApiError.standard(404) from None
    return _contact_page(account.login, {"email": account.email or "", "phone": account.phone or ""})


@pages.post("/tai-khoan/<login>/lien-he")
@allow(ADMIN)
def set_contact(login: str):
    """Replace the email and phone (an empty field removes one); notify learns them from the
    account.changed this publishes. An invalid one is said beside its field, nothing changed."""
    form = {k: _form(k, CONTACT_MAX + 1) for k in ("email", "phone")}
    try:
        account = _service().set_contact(login[:LOGIN_MAX], form["email"], form["phone"], by=_principal().id)
    except UnknownAccount:
        raise ApiError.standard(404) from None
    except AccountProblems as exc:
        return _contact_page(login[:LOGIN_MAX], form, _problems(exc), 422)
    return redirect(url_for("console_auth.accounts", done="contact", login=account.login), code=303)


@pages.post("/tai-khoan/<login>/mat-khau")
@allow(ADMIN)
def reset_password(login: str):
    """A new one-time password (and, asked, a new TOTP secret), shown once; sessions end."""
    temporary = _one_time_password()
    try:
        new = _service().reset_password(login[:LOGIN_MAX], temporary, new_totp=bool(request.form.get("new_totp")),
                                         by=_principal().id)
    except UnknownAccount:
        raise ApiError.standard(404) from None
    return _accounts_page(shown={"login": new.account.login, "password": temporary, "totp_uri": new.totp_uri,
                                 "totp_secret": new.account.totp_secret if new.totp_uri else None})


def _one_time_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits: the person changes it at once
