"""Signed-in requests in the unit tier, as routing's API and console pages see them: the key pair
routing signs tokens with (every service verifies them with its public half), routing on a clock
the test moves, two wards seeded, accounts made with one known password, and a console session
opened as the sign-in page opens one — the token and session cookies on the test client, the
CSRF token its forms carry."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from giaitrinh_routing.adapters.credentials import generate_signing_keys
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
