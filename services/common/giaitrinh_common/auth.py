"""Who is asking, and may they: the sign-in token every service verifies on its own, the policy
every route declares, and CSRF protection for forms.

Routing holds the accounts and the private key, and signs a short-lived token at sign-in
(EdDSA, Ed25519, PyJWT). Every service verifies it here with the public key alone
(``GIAITRINH_AUTH_PUBLIC_KEY``) and reads nobody's tables. A token lives at most
:data:`MAX_TOKEN_SECONDS` (the verifier refuses one that claims longer), and only routing
renews it, after reading the account: so disabling a user, or changing their role, takes effect
on every service within one minute (docs/ARCHITECTURE.md, "Who may do what").

Tenancy by construction: every route declares its :class:`Policy` with :func:`allow` —
:data:`PUBLIC`, or :func:`signed_in` with the roles that may use it and, where its URL names a
locality, which part does. :func:`guard_routes` refuses to register a route that declares none
(the app cannot even start), and :func:`install_auth` checks the declared policy before every
request: no or a bad token on a protected route → 401, a role the route does not serve → 403
(the route is public knowledge), a locality outside the caller's → 404 (so another locality's
records do not reveal that they exist). Views that load records check
:meth:`Principal.may_see` on each and answer 404 the same way.

CSRF: an unsafe request (POST, PUT, PATCH, DELETE) must carry the token of the
:data:`CSRF_COOKIE` (form field :data:`CSRF_FIELD` or header :data:`CSRF_HEADER`) when it is
authenticated by the sign-in cookie or is a form (``application/x-www-form-urlencoded``,
``multipart/form-data``, ``text/plain``) — what a browser sends cross-site on its own. Pages
put :func:`csrf_token` in every form. A bearer token needs none: no browser adds it by itself.
"""
from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, Response, g, request

from giaitrinh_common import randomness
from giaitrinh_common.web import ApiError

log = logging.getLogger(__name__)

# -- the token's vocabulary: a contract between routing, which signs, and every service ---------
OFFICIAL, UNIT_HEAD, LOCALITY_HEAD = "official", "unit_head", "locality_head"
SUPERVISOR, PROVINCIAL_ADMIN, PUBLISHER = "supervisor", "provincial_admin", "publisher"
STAFF = frozenset({OFFICIAL, UNIT_HEAD, LOCALITY_HEAD, SUPERVISOR, PROVINCIAL_ADMIN})  # people
ROLES = STAFF | {PUBLISHER}  # publisher: another system, by API key
BODIES = frozenset({"hdnd", "mttq", "ubkt"})  # a supervisor's body: HĐND, MTTQ, UBKT
# Who records a request a person brought in person, by hotline, at a voter meeting or by mail
# (intake's /console/tiep-nhan): whoever serves a locality. Intake's policy and every service's
# console menu read it here, so the menu links the page to exactly those it lets in.
RECORDING_ROLES = STAFF

MAX_TOKEN_SECONDS = 60  # the revocation rule: see the module's docstring
ISSUER, AUDIENCE, ALGORITHM = "giaitrinh-routing", "giaitrinh", "EdDSA"
MAX_TOKEN_CHARS = 8192  # a real token is well under 1 KiB; no larger text reaches the decoder
CLOCK_SKEW_SECONDS = 5  # a token issued this far "in the future" still counts (clocks drift)

TOKEN_COOKIE = "giaitrinh_token"  # the signed token, for pages: HttpOnly, SameSite=Strict
SESSION_COOKIE = "giaitrinh_session"  # routing's sign-in session, which renews the token
CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER = "giaitrinh_csrf", "csrf_token", "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_CSRF_FORM = re.compile(r"^[A-Za-z0-9_-]{43}$")  # randomness.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """Who a verified token says is asking (*người dùng đã đăng nhập*)."""

    id: str
    role: str
    localities: frozenset[str]
    unit_code: str | None = None
    body: str | None = None
    name: str = ""
    session_id: str | None = None
    expires_at: int = 0
    via_cookie: bool = False  # the sign-in cookie, not a bearer header, carried it

    @property
    def sees_every_locality(self) -> bool:
        """A provincial admin's scope is the whole deployment, which serves one province."""
        return self.role == PROVINCIAL_ADMIN

    def may_see(self, locality_code: str | None) -> bool:
        """Whether non-public records of ``locality_code`` are this principal's to see."""
        return self.sees_every_locality or (locality_code is not None and locality_code in self.localities)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "localities": sorted(self.localities),
                "unit_code": self.unit_code, "body": self.body, "name": self.name,
                "expires_at": self.expires_at}


def token_claims(*, subject: str, role: str, localities: Iterable[str], unit_code: str | None,
                 body: str | None, name: str, session_id: str | None, issued_at: int,
                 lifetime: int) -> dict[str, Any]:
    """The claims routing signs, by the names :class:`TokenVerifier` reads."""
    if not 0 < lifetime <= MAX_TOKEN_SECONDS:
        raise ValueError(f"a token lives 1 to {MAX_TOKEN_SECONDS} seconds, not {lifetime}")
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": issued_at,
            "exp": issued_at + lifetime, "role": role, "loc": sorted(localities), "unit": unit_code,
            "body": body, "name": name, "sid": session_id}


class InvalidToken(Exception):
    """The token cannot be trusted: ``reason`` is ``expired``, ``bad_signature`` or ``malformed``."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class AuthUnavailable(RuntimeError):
    """This process has no public key to verify tokens with (not generated or not mounted)."""


class TokenVerifier:
    """Verifies the platform's sign-in tokens with the public key at ``public_key_path``,
    against ``clock`` (epoch seconds; a port, so tests move time instead of sleeping).

    Contract: :meth:`verify` returns the :class:`Principal` of a token signed by the matching
    private key, for this audience and issuer, not expired at ``clock()``, living at most
    :data:`MAX_TOKEN_SECONDS`, with every claim of the right type; else raises
    :class:`InvalidToken`. The key file is read on first use (and again while it is missing:
    :class:`AuthUnavailable`), so a process starts before the key is generated."""

    def __init__(self, public_key_path: str | Path, clock: Callable[[], float] = time.time):
        self.path = Path(public_key_path)
        self.clock = clock
        self._key: Ed25519PublicKey | None = None

    def key(self) -> Ed25519PublicKey:
        if self._key is None:
            try:
                loaded = serialization.load_pem_public_key(self.path.read_bytes())
            except (OSError, ValueError) as exc:
                raise AuthUnavailable(f"cannot read the public key {self.path}: {exc}") from exc
            if not isinstance(loaded, Ed25519PublicKey):
                raise AuthUnavailable(f"{self.path} is not an Ed25519 public key")
            self._key = loaded
        return self._key

    def verify(self, token: str, *, via_cookie: bool = False) -> Principal:
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise InvalidToken("malformed", "empty, too long or not ASCII")
        key = self.key()
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp", "iat", "sub", "role"], "verify_exp": False,
                                         "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("bad_signature", str(exc)) from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("malformed", str(exc)) from None
        return self._principal(claims, via_cookie)

    def _principal(self, c: dict[str, Any], via_cookie: bool) -> Principal:
        iat, exp = c.get("iat"), c.get("exp")
        if not (type(iat) is int and type(exp) is int):
            raise InvalidToken("malformed", "iat and exp must be whole seconds")
        if not 0 < exp - iat <= MAX_TOKEN_SECONDS:  # the revocation rule does not bend
            raise InvalidToken("malformed", f"a token lives at most {MAX_TOKEN_SECONDS} s")
        now = self.clock()
        if now >= exp:
            raise InvalidToken("expired", f"expired {now - exp:.0f} s ago")
        if iat > now + CLOCK_SKEW_SECONDS:
            raise InvalidToken("malformed", "issued in the future")
        loc, role = c.get("loc", []), c.get("role")
        texts = [c.get(k) for k in ("sub", "name")] + ([] if not isinstance(loc, list) else loc)
        optional = [c.get(k) for k in ("unit", "body", "sid")]
        if (role not in ROLES or not isinstance(loc, list) or not all(isinstance(t, str) for t in texts)
                or not all(v is None or isinstance(v, str) for v in optional)):
            raise InvalidToken("malformed", "a claim has the wrong type or value")
        return Principal(id=c["sub"], role=role, localities=frozenset(loc), unit_code=c.get("unit"),
                         body=c.get("body"), name=c.get("name") or "", session_id=c.get("sid"),
                         expires_at=exp, via_cookie=via_cookie)


# -- policies -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    """Who may use a route: anyone (``roles`` None), or a signed-in principal of ``roles``
    (any role when empty); ``locality_arg`` names the URL part holding a locality code that
    must be the principal's."""

    roles: frozenset[str] | None
    locality_arg: str | None = None

    @property
    def public(self) -> bool:
        return self.roles is None

    def describe(self) -> str:
        if self.public:
            return "public"
        who = ", ".join(sorted(self.roles or ())) or "any signed-in role"
        return who + (f" × locality <{self.locality_arg}>" if self.locality_arg else "")


PUBLIC = Policy(None)


def signed_in(*roles: str, locality_arg: str | None = None) -> Policy:
    """A signed-in principal of one of ``roles`` (any role when none is named)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; the roles are {sorted(ROLES)}")
    return Policy(frozenset(roles), locality_arg)


F = TypeVar("F", bound=Callable[..., Any])
_POLICY_ATTRIBUTE = "__giaitrinh_policy__"
POLICIES = "giaitrinh_policies"  # app.extensions[POLICIES]: endpoint → Policy, the one table


def allow(policy: Policy) -> Callable[[F], F]:
    """Declare who may use a view: ``@api.get(...)`` above, ``@allow(PUBLIC)`` below it."""
    def mark(view: F) -> F:
        setattr(view, _POLICY_ATTRIBUTE, policy)
        return view
    return mark


def policy_of(view: Callable[..., Any] | None) -> Policy | None:
    return getattr(view, _POLICY_ATTRIBUTE, None)


class MissingPolicy(RuntimeError):
    """A route was registered without declaring who may use it."""


def _is_static(endpoint: str) -> bool:
    # Flask's static files (the app's and a blueprint's): public by their nature.
    return endpoint == "static" or endpoint.endswith(".static")


def guard_routes(app: Flask) -> None:
    """From now on, registering a route on ``app`` without a policy raises
    :class:`MissingPolicy` (blueprints register through ``app.add_url_rule`` too); routes
    already there are checked now. The policies land in ``app.extensions[POLICIES]``."""
    table: dict[str, Policy] = app.extensions.setdefault(POLICIES, {})
    register = app.add_url_rule

    def record(endpoint: str, view: Callable[..., Any] | None) -> None:
        policy = PUBLIC if _is_static(endpoint) else policy_of(view)
        if policy is None:
            raise MissingPolicy(f"route endpoint {endpoint!r} declares no policy: decorate its view with "
                                "@allow(PUBLIC) or @allow(signed_in(...)) (giaitrinh_common.auth)")
        if table.get(endpoint, policy) != policy:
            raise MissingPolicy(f"endpoint {endpoint!r} is registered with two different policies")
        table[endpoint] = policy

    def checked_add_url_rule(rule: str, endpoint: str | None = None, view_func=None, *args, **kwargs):
        name = endpoint or (view_func.__name__ if view_func is not None else None)
        if name is not None:
            record(name, view_func if view_func is not None else app.view_functions.get(name))
        return register(rule, endpoint, view_func, *args, **kwargs)

    app.add_url_rule = checked_add_url_rule  # type: ignore[method-assign]
    for endpoint, view in app.view_functions.items():
        record(endpoint, view)


def unguarded_endpoints(app: Flask) -> list[str]:
    """Endpoints of the app's URL map with no policy in its table (none, in a guarded app)."""
    table = app.extensions.get(POLICIES, {})
    return sorted({r.endpoint for r in app.url_map.iter_rules() if r.endpoint not in table})


# -- answers ------------------------------------------------------------------------------------
def _unauthorised(code: str, vi: str, en: str, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="giaitrinh"' + (f', error="{error}"' if error else "")
    return ApiError(401, code, vi, en, headers={"WWW-Authenticate": challenge})


SIGN_IN_REQUIRED = ("sign_in_required", "Vui lòng đăng nhập để tiếp tục.", "Please sign in to continue.")
TOKEN_ANSWERS = {
    "expired": ("token_expired", "Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.",
                "Your sign-in has expired; please sign in again."),
    "bad_signature": ("invalid_token", "Mã đăng nhập không hợp lệ; vui lòng đăng nhập lại.",
                      "The sign-in token is not valid; please sign in again."),
    "malformed": ("invalid_token", "Mã đăng nhập không hợp lệ; vui lòng đăng nhập lại.",
                  "The sign-in token is not valid; please sign in again."),
}


def token_error(exc: InvalidToken) -> ApiError:
    code, vi, en = TOKEN_ANSWERS.get(exc.reason, TOKEN_ANSWERS["malformed"])
    return _unauthorised(code, vi, en, "invalid_token")


def role_forbidden() -> ApiError:
    return ApiError(403, "role_forbidden", "Vai trò của bạn không được dùng chức năng này.",
                    "Your role may not use this.")


def auth_unavailable() -> ApiError:
    return ApiError(503, "auth_unavailable",
                    "Dịch vụ chưa sẵn sàng xác thực đăng nhập; vui lòng thử lại sau ít phút.",
                    "The service cannot check sign-ins yet; please try again in a few minutes.")


def csrf_failed() -> ApiError:
    return ApiError(400, "csrf_failed",
                    "Biểu mẫu đã hết hạn hoặc không hợp lệ; vui lòng tải lại trang và gửi lại.",
                    "The form has expired or is not valid; please reload the page and send it again.")


# -- CSRF ---------------------------------------------------------------------------------------
def csrf_token() -> str:
    """The CSRF token to put in a form (``<input type=hidden name=csrf_token>``) or a
    script's ``X-CSRF-Token`` header: the one in the visitor's cookie, or a new one that
    :func:`install_auth` sets in the cookie of this answer."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if g.get("csrf_new"):
        return g.csrf_new
    if _CSRF_FORM.match(current):
        return current
    g.csrf_new = randomness.token_urlsafe(32)
    return g.csrf_new


def renew_csrf_token() -> str:
    """A fresh CSRF token for this answer's cookie (at sign-in, so none chosen before survives)."""
    g.csrf_new = randomness.token_urlsafe(32)
    return g.csrf_new


def check_csrf() -> None:
    """400 ``csrf_failed`` unless the request carries the token of its CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.mimetype in FORM_TYPES and request.mimetype != "text/plain":
        sent = request.form.get(CSRF_FIELD, "")
    if not (_CSRF_FORM.match(cookie) and hmac.compare_digest(cookie.encode(), sent.encode("utf-8", "replace"))):
        raise csrf_failed()


def needs_csrf(principal: Principal | None) -> bool:
    """The rule in the module's docstring: unsafe, and by the sign-in cookie or a form."""
    if request.method in SAFE_METHODS:
        return False
    return (principal is not None and principal.via_cookie) or request.mimetype in FORM_TYPES


_CSRF_EXEMPT = "__giaitrinh_csrf_exempt__"


def csrf_exempt(view: F) -> F:
    """For a route a machine POSTs a form to, authenticated by a secret in that form (Open311's
    ``api_key``): no other site's page knows the secret, so CSRF cannot ride on it. Such a
    view must not act on the sign-in cookie's principal."""
    setattr(view, _CSRF_EXEMPT, True)
    return view


# -- cookies ------------------------------------------------------------------------------------
def set_sign_in_cookies(response: Response, *, token: str, token_seconds: int, secure: bool,
                        session_secret: str | None = None, session_seconds: int = 0) -> None:
    """The token (and, at sign-in, routing's session) as HttpOnly, SameSite=Strict cookies for
    the whole origin (one gateway, every service), ``Secure`` when served over TLS."""
    response.set_cookie(TOKEN_COOKIE, token, max_age=token_seconds, path="/", secure=secure,
                        httponly=True, samesite="Strict")
    if session_secret is not None:
        response.set_cookie(SESSION_COOKIE, session_secret, max_age=session_seconds, path="/",
                            secure=secure, httponly=True, samesite="Strict")


def clear_sign_in_cookies(response: Response, *, secure: bool) -> None:
    for name in (TOKEN_COOKIE, SESSION_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Strict")


# -- per request --------------------------------------------------------------------------------
def current_principal() -> Principal | None:
    """Who is asking (None: anonymous, or a public route reached with no valid token)."""
    return g.get("principal")


def bearer_token() -> tuple[str | None, bool]:
    """The token a request carries and whether it came from the cookie (the header wins)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        return (value.strip() if scheme.lower() == "bearer" else ""), False
    cookie = request.cookies.get(TOKEN_COOKIE)
    return (cookie, True) if cookie else (None, False)


def install_auth(app: Flask, verifier: TokenVerifier, *, cookie_secure: bool = False) -> None:
    """Check every request against its route's declared policy (see the module docstring),
    CSRF included, and set the CSRF cookie chosen while answering."""
    app.extensions["giaitrinh_auth"] = verifier
    app.config["GIAITRINH_COOKIE_SECURE"] = cookie_secure
    policies: dict[str, Policy] = app.extensions.setdefault(POLICIES, {})

    @app.before_request
    def _authorise() -> None:
        if request.url_rule is None or request.endpoint is None:
            return  # no such route: 404 or 405 follow, as for anyone
        policy = policies.get(request.endpoint)
        if policy is None:  # guard_routes makes this unreachable; never serve such a route
            log.error("no policy for endpoint %s: refused", request.endpoint)
            raise ApiError.standard(404)
        token, via_cookie = bearer_token()
        principal: Principal | None = None
        problem: ApiError | None = None
        if token is not None:
            try:
                principal = verifier.verify(token, via_cookie=via_cookie)
            except InvalidToken as exc:
                problem = token_error(exc)
            except AuthUnavailable as exc:
                log.error("%s", exc)
                problem = auth_unavailable()
        if policy.public:
            g.principal = principal  # a stale cookie does not stop anyone reading public pages
        else:
            if problem is not None:
                raise problem
            if principal is None:
                raise _unauthorised(*SIGN_IN_REQUIRED)
            if policy.roles and principal.role not in policy.roles:
                raise role_forbidden()
            if policy.locality_arg is not None:
                code = (request.view_args or {}).get(policy.locality_arg)
                if not principal.may_see(code):
                    raise ApiError.standard(404)
            g.principal = principal
        if needs_csrf(principal) and not getattr(app.view_functions.get(request.endpoint), _CSRF_EXEMPT, False):
            check_csrf()

    @app.after_request
    def _csrf_cookie(response: Response) -> Response:
        if g.get("csrf_new"):
            response.set_cookie(CSRF_COOKIE, g.csrf_new, path="/", secure=cookie_secure,
                                httponly=True, samesite="Strict")
            response.vary.add("Cookie")
        return response
