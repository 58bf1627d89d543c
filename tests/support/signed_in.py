"""Signed-in requests in the unit tier, as routing's API and console pages see them: the key pair
routing signs tokens with (every service verifies them with its public half), routing on a clock
the test moves, two wards seeded, accounts made with one known password, and a console session
opened as the sign-in page opens one — the token and session cookies on the test client, the
CSRF token its forms carry. For the services that only verify (scoring, intake, notify, and
routing's API called with a bearer token): a token signed with the key pair, as routing's
sign-in would sign it, without an account behind it."""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from giaitrinh_common import auth
from giaitrinh_routing.adapters.credentials import Ed25519Signer, generate_signing_keys
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.service_layer.handlers import seed_localities
from tests.support.factories import LOCALITY, migrated_runtime

PASSWORD = "mật-khẩu đủ dài 2026"
WARD, OTHER_WARD = LOCALITY, "19000"
TWO_WARDS = (Locality(WARD, "Phường Đồng Hới", "44", "phường"),
             Locality(OTHER_WARD, "Phường Đồng Thuận", "44", "phường"))


class Clock:
    """The runtime's clock (seconds since the epoch), moved by the test instead of sleeping: a
    token lives a minute, a deadline days."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


def signing_keys(folder: Path) -> tuple[Path, Path]:
    """A new Ed25519 key pair in ``folder``: (private, public)."""
    private, public = folder / "auth-private.pem", folder / "auth-public.pem"
    generate_signing_keys(private, public)
    return private, public


def signed_token(private: Path, role: str, localities: Iterable[str] = (WARD,), *, subject: str = "u-1",
                 unit_code: str | None = None, body: str | None = None, name: str = "",
                 issued_at: float | None = None) -> str:
    """A one-minute token of ``subject`` as ``role`` in ``localities``, signed with the key
    ``private`` (of :func:`signing_keys`) as routing's sign-in signs one, issued at
    ``issued_at`` (seconds; the wall clock when not given)."""
    return Ed25519Signer(private).sign(auth.token_claims(
        subject=subject, role=role, localities=localities, unit_code=unit_code, body=body, name=name,
        session_id=None, issued_at=int(time.time() if issued_at is None else issued_at), lifetime=60))


def bearer(private: Path, role: str, localities: Iterable[str] = (WARD,), **claims) -> dict[str, str]:
    """The ``Authorization`` header carrying :func:`signed_token`."""
    return {"Authorization": f"Bearer {signed_token(private, role, localities, **claims)}"}


@contextmanager
def signing_routing(bus, database_url: str, keys: tuple[Path, Path], clock: Clock,
                    localities=TWO_WARDS) -> Iterator[RoutingRuntime]:
    """Routing, migrated, signing tokens with ``keys`` on ``clock``, with ``localities`` seeded
    (their default units and routing rules); closed on leaving."""
    runtime = migrated_runtime("routing", database_url, bus,
                               ROUTING_AUTH_PRIVATE_KEY=str(keys[0]), GIAITRINH_AUTH_PUBLIC_KEY=str(keys[1]))
    try:
        runtime.clock = clock
        with runtime.unit_of_work() as uow:
            seed_localities(uow, list(localities))
            uow.commit()
        yield runtime
    finally:
        runtime.close()


def add_account(accounts, login: str, role: str = "official", localities=(WARD,), unit: str | None = "dia-chinh",
                body: str | None = None, **kw):
    """An account of ``login`` (named "Cán bộ <login>") with :data:`PASSWORD`."""
    return accounts.add(login=login, display_name=f"Cán bộ {login}", role=role, localities=set(localities),
                        unit_code=unit, body=body, password=PASSWORD, **kw)


def open_session(client, login: str, password: str = PASSWORD, **second_factor):
    """Sign in for pages, as the sign-in page does (routing's ``/api/v1/auth/session``): the
    token and session cookies go on ``client``; the answer is returned, its ``csrf_token`` for
    every form and cookie-borne POST. ``totp=`` for an account with a second factor."""
    resp = client.post("/api/v1/auth/session", json={"login": login, "password": password, **second_factor})
    assert resp.status_code == 200, resp.json
    return resp


def signed_in_client(app, login: str, role: str = "official", **account):
    """A test client of routing's ``app`` signed in with the cookies (:func:`open_session`) as a
    new account of ``login`` (:func:`add_account`, whose other arguments ``account`` passes on)."""
    add_account(app.extensions["giaitrinh_accounts"], login, role, **account)
    client = app.test_client()
    open_session(client, login)
    return client
