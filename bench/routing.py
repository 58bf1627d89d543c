"""Routing's benchmarks: the deadline watcher's sweep over many open cases on PostgreSQL (the
index on each case's watch date, not a scan), and officials' actions per second through the
service layer (load, act, save with the version check, step log, audit chain, outbox).

The cases are written straight into routing's tables (a migrated database), as many as a
province accumulates, with their watch dates spread over the coming year so that only a few
fall due on the day of the sweep — as in real life.
"""
from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import click
import sqlalchemy as sa
from measure import Measurement, rate, timed
from parts import Parts

from giaitrinh_common import migrations
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.services import SERVICES
from giaitrinh_routing.domain.case import Actor, Role
from giaitrinh_routing.service_layer.handlers import ActOnCase

TODAY = date(2026, 11, 30)  # a Monday
NOW = datetime(2026, 11, 30, 2, tzinfo=UTC)  # 09:00 in Vietnam
WARDS = [str(18000 + i) for i in range(78)]
CHUNK = 10_000


def _runtime(url: str):
    spec = SERVICES["routing"]
    migrations.upgrade(spec.package, url)
    runtime = spec.bootstrap(settings=spec.settings({"ROUTING_DATABASE_URL": url}), bus=InMemoryBus())
    runtime.clock = NOW.timestamp
    return runtime


def fill_cases(runtime, n: int, due: int, seed: int = 7) -> None:
    """``n`` accepted cases; ``due`` of them overdue today (watch date today), the rest due over
    the next year."""
    cases = runtime.storage.metadata.tables["cases"]
    rng = random.Random(seed)
    written = 0
    with click.progressbar(length=n, label="writing cases") as bar:
        while written < n:
            rows = []
            for i in range(written, min(n, written + CHUNK)):
                answer_by = TODAY - timedelta(days=10) if i < due else TODAY + timedelta(days=rng.randint(3, 365))
                watch = TODAY if i < due else answer_by - timedelta(days=2)
                rows.append({"id": str(uuid.uuid4()), "request_id": str(uuid.uuid4()),
                             "tracking_code": f"GT-{i:012d}", "kind": "accountability_request",
                             "field": "land", "locality_code": rng.choice(WARDS),
                             "state": "accepted", "registered_at": NOW - timedelta(days=20),
                             "time_limits_id": "nd59-2019-giai-trinh",
                             "accept_by": TODAY - timedelta(days=15), "answer_by": answer_by,
                             "unit_code": "dia-chinh", "extensions": 0, "flagged": False,
                             "version": 1, "watch_from": watch})
            with runtime.storage.engine.begin() as conn:
                conn.execute(sa.insert(cases), rows)
            written += len(rows)
            bar.update(len(rows))
    with runtime.storage.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE cases"))


def query_plan(runtime) -> str:
    with runtime.storage.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "EXPLAIN SELECT id FROM cases WHERE watch_from <= :today ORDER BY watch_from LIMIT 500"),
            {"today": TODAY}).scalars()
        return " / ".join(rows)


def bench_watcher(parts: Parts, n: int, due: int) -> list[Measurement]:
    url = parts.database_url("postgresql", "bench_watcher")
    runtime = _runtime(url)
    try:
        fill_cases(runtime, n, due)
        plan = query_plan(runtime)
        click.echo(f"plan: {plan}")
        with runtime.unit_of_work() as uow:
            found, select_s = timed(lambda: uow.cases.due_for_watch(TODAY, 500))
        assert len(found) == min(500, due), len(found)
        raised, sweep_s = timed(lambda: sum(_sweep_all(runtime)))
        assert raised == 2 * due, raised  # ten days late: overdue and escalated for each
        return [
            Measurement("watcher", f"find the due cases among {n:,} open (index)", "postgresql",
                        select_s * 1000, "ms", n, select_s),
            Measurement("watcher", f"whole sweep: {due:,} due of {n:,} open", "postgresql",
                        sweep_s, "s", due, sweep_s),
            rate("watcher", "alerts raised (each with its event and audit row; 500 cases a transaction)",
                 "postgresql", raised, sweep_s, "alerts/s"),
        ]
    finally:
        runtime.close()


def _sweep_all(runtime):
    while (raised := runtime.watch(limit=500)):
        yield raised


def bench_actions(parts: Parts, n: int) -> list[Measurement]:
    out = []
    actor = Actor("u-1", Role.LOCALITY_HEAD, frozenset(WARDS))
    for backend in ("sqlite", "postgresql"):
        runtime = _runtime(parts.database_url(backend, f"bench_actions_{backend}"))
        try:
            fill_cases(runtime, n, due=0)
            with runtime.storage.engine.connect() as conn:
                ids = conn.execute(sa.text("SELECT id FROM cases")).scalars().all()

            def extend_all(ids=ids, runtime=runtime):
                for case_id in ids:
                    runtime.act(ActOnCase(case_id, "extend", actor, {"days": 5, "reason": "Phức tạp"}))

            _, seconds = timed(extend_all)
            out.append(rate("actions", "extend via RoutingRuntime.act (one transaction each)",
                            backend, len(ids), seconds, "actions/s"))
        finally:
            runtime.close()
    return out
