"""The console's inbox page on PostgreSQL: N cases in one locality (waiting, being explained,
answered, closed, spread over the units), and the page a locality head and an official open —
``GET /console/`` rendered in full by routing's app (sign-in token checked, the query by next
deadline, the count up to its bound, the cases loaded, the template) — timed request by request:
p50/p95/p99; and apart, the channel filter on a rare channel (5 % of the cases), and the list
API (``GET /api/v1/cases``: newest first, its total counted up to its cap).
"""
from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from measure import Measurement
from parts import Parts
from routing import NOW, TODAY

from giaitrinh_common import migrations
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.services import SERVICES
from giaitrinh_routing.adapters.credentials import generate_signing_keys
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.service_layer.handlers import seed_localities

WARD = "18880"
UNITS = ("dia-chinh", "kinh-te", "van-phong", "tu-phap", "van-hoa-xa-hoi")
STATES = ("received", "accepted", "accepted", "answered", "closed", "closed")
PASSWORD = "mật-khẩu đủ dài cho bench"
CHUNK = 10_000
VIEWS = ("/console/", "/console/?state=accepted", "/console/?overdue=1", "/console/?field=land&page=3")
# Requests come mostly through the portal; a rare channel is the channel filter's hard case.
CHANNELS = {"portal": 60, "api": 10, "direct": 10, "open311": 5, "hotline": 5, "voter_meeting": 4, "mail": 4,
            "external_system": 2}
CHANNEL_VIEW = "/console/?channel=hotline"
# The list API (``GET /api/v1/cases``, newest first, its ``total``) over the same filters, as the
# locality head, measured apart from the pages.
API_VIEWS = ("/api/v1/cases", "/api/v1/cases?state=accepted", "/api/v1/cases?overdue=true",
             "/api/v1/cases?field=land&page=3")


def fill_locality(runtime, n: int, seed: int = 11) -> None:
    cases = runtime.storage.metadata.tables["cases"]
    rng = random.Random(seed)
    fields = ("land", "construction", "environment", "finance", "justice", "other")
    written = 0
    with click.progressbar(length=n, label="writing cases") as bar:
        while written < n:
            rows = []
            for i in range(written, min(n, written + CHUNK)):
                state = rng.choice(STATES)
                accept_by = TODAY + timedelta(days=rng.randint(-20, 10))
                answer_by = TODAY + timedelta(days=rng.randint(-10, 40)) if state != "received" else None
                rows.append({"id": str(uuid.uuid4()), "request_id": str(uuid.uuid4()),
                             "tracking_code": f"GT-{i:012d}", "kind": "accountability_request",
                             "field": rng.choice(fields), "locality_code": WARD, "state": state,
                             "registered_at": NOW - timedelta(days=rng.randint(1, 700)),
                             "time_limits_id": "nd59-2019-giai-trinh", "accept_by": accept_by,
                             "answer_by": answer_by, "unit_code": rng.choice(UNITS), "extensions": 0,
                             "flagged": False, "version": 1, "watch_from": None,
                             "channel": rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0],
                             "next_deadline": {"received": accept_by, "accepted": answer_by}.get(state)})
            with runtime.storage.engine.begin() as conn:
                conn.execute(sa.insert(cases), rows)
            written += len(rows)
            bar.update(len(rows))
    # VACUUM as autovacuum would soon after such a load: the visibility map lets the inbox's
    # walk of its index (ix_cases_inbox, 0011_inbox_covering) skip the cases' rows.
    with runtime.storage.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE cases"))


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _timed(client, views: list[str], accept: str = "text/html", headers: dict | None = None) -> list[float]:
    """Each view fetched in turn as a browser (or an API client) asks for it; milliseconds per request."""
    times = []
    for view in views:
        started = time.perf_counter()
        resp = client.get(view, headers={"Accept": accept, **(headers or {})}, follow_redirects=True)
        times.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, view
    return times


def bench_inbox(parts: Parts, n: int, requests: int = 200) -> list[Measurement]:
    url = parts.database_url("postgresql", "bench_inbox")
    keys = Path(tempfile.mkdtemp(prefix="giaitrinh-bench-keys-"))
    generate_signing_keys(keys / "private.pem", keys / "public.pem")
    spec = SERVICES["routing"]
    migrations.upgrade(spec.package, url)
    runtime = spec.bootstrap(settings=spec.settings({
        "ROUTING_DATABASE_URL": url, "ROUTING_AUTH_PRIVATE_KEY": str(keys / "private.pem"),
        "GIAITRINH_AUTH_PUBLIC_KEY": str(keys / "public.pem")}), bus=InMemoryBus())
    try:
        from giaitrinh_routing.entrypoints.web import create_app
        with runtime.unit_of_work() as uow:
            seed_localities(uow, [Locality(WARD, "Phường Đồng Hới", "44", "phường")])
            uow.commit()
        fill_locality(runtime, n)
        app = create_app(runtime)
        accounts = app.extensions["giaitrinh_accounts"]
        out = []
        for login, role, unit in (("chu-tich", "locality_head", "van-phong"), ("can-bo", "official", "dia-chinh")):
            accounts.add(login=login, display_name=login, role=role, localities={WARD}, unit_code=unit, body=None,
                         password=PASSWORD)
            client = app.test_client()
            assert client.post("/api/v1/auth/session", json={"login": login, "password": PASSWORD}).status_code == 200
            for view in (*VIEWS, CHANNEL_VIEW):  # warm the caches and check each answers
                assert client.get(view, headers={"Accept": "text/html"}).status_code == 200, view
            times = _timed(client, [VIEWS[i % len(VIEWS)] for i in range(requests)])
            click.echo(f"{role}: p50 {statistics.median(times):.1f} ms, p95 {_percentile(times, 95):.1f} ms")
            for p in (50, 95, 99):
                out.append(Measurement("inbox", f"GET /console/ as {role} ({n:,} cases in the locality), p{p}",
                                       "postgresql", _percentile(times, p), "ms", requests, sum(times) / 1000))
            # Apart, so that the four views stay comparable with earlier runs: a rare channel.
            times = _timed(client, [CHANNEL_VIEW] * max(1, requests // 4))
            click.echo(f"{role}, {CHANNEL_VIEW}: p50 {statistics.median(times):.1f} ms, "
                       f"p95 {_percentile(times, 95):.1f} ms")
            for p in (50, 95):
                out.append(Measurement("inbox", f"GET {CHANNEL_VIEW} as {role}, p{p}", "postgresql",
                                       _percentile(times, p), "ms", len(times), sum(times) / 1000))
            if role == "locality_head":
                out += _api_list(client, n, requests)
        out += _api_list_province(app, keys / "private.pem", n, requests)
        return out
    finally:
        runtime.close()


def _api_list(client, n: int, requests: int, role: str = "locality_head", headers: dict | None = None,
              scope: str = "cases") -> list[Measurement]:
    """``GET /api/v1/cases`` (JSON, 50 a page, its ``total``) cycling through the four filters, as
    ``role`` (signed in on ``client``, or by ``headers``)."""
    for view in API_VIEWS:  # warm, and check each answers
        assert client.get(view, headers={"Accept": "application/json", **(headers or {})}).status_code == 200, view
    times = _timed(client, [API_VIEWS[i % len(API_VIEWS)] for i in range(requests)], "application/json", headers)
    click.echo(f"GET /api/v1/cases as {role}: p50 {statistics.median(times):.1f} ms, "
               f"p95 {_percentile(times, 95):.1f} ms")
    return [Measurement("inbox", f"GET /api/v1/cases as {role} ({n:,} {scope}), p{p}", "postgresql",
                        _percentile(times, p), "ms", requests, sum(times) / 1000) for p in (50, 95, 99)]


def _api_list_province(app, private_key: Path, n: int, requests: int) -> list[Measurement]:
    """The same list as a provincial admin, who sees every locality: no locality narrows the walk,
    the whole province's cases are in order (here all N, in one ward: the plan is the same)."""
    from tests.support.signed_in import signed_token  # a token as routing's sign-in signs one
    headers = {"Authorization": f"Bearer {signed_token(private_key, 'provincial_admin', ())}"}
    return _api_list(app.test_client(), n, requests, "provincial_admin", headers, "cases in the province")
