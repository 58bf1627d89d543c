"""The whole platform as ``giaitrinh up`` runs it (gunicorn web + worker per service, its own
Kafka broker, SQLite files), loaded over HTTP:

* ``http``   — M ``POST /api/v1/requests`` to intake from 8 client threads (keep-alive):
  requests/s and latency percentiles; then how long until the requests read "registered" on
  ``GET /api/v1/requests/<tracking_code>`` (intake → Kafka → routing → Kafka → intake);
* ``memory`` — resident memory of every process, idle after start and after that load.
"""
from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from measure import Measurement, percentile, rate
from parts import GroupMemory, Parts, broker_pid, group_memory
from prometheus_client.parser import text_string_to_metric_families

from giaitrinh_common.storage import make_engine
from giaitrinh_intake.adapters.orm import timeline_entries
from giaitrinh_platform.kafka_broker import LocalKafkaBroker, free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform
from tests.support.factories import LOCALITY

SETTLE_SECONDS = 5  # after /readyz answers, before the idle memory reading
E2E_TIMEOUT = 600
POLL_EVERY = 0.5


# -- the platform ------------------------------------------------------------------------------

def start_platform(parts: Parts, broker: LocalKafkaBroker) -> Platform:
    """Topics, migrations, localities, then the eight service processes, each on a free port."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    platform = Platform(data_dir=parts.workdir / "platform",
                        kafka_bootstrap=broker.bootstrap_servers, base_env=env,
                        web_ports={s: free_port() for s in SERVICES},
                        metrics_ports={s: free_port() for s in SERVICES})
    click.echo("  topics, migrations, localities ...")
    platform.create_topics()
    platform.migrate()
    platform.seed()
    click.echo(f"  starting {2 * len(SERVICES)} service processes "
               f"(gunicorn gthread, {platform.web_threads} threads per web process) ...")
    platform.start_services()
    try:
        platform.wait_ready(timeout=180)
    except BaseException:
        platform.stop_services()
        raise
    return platform


# -- the client --------------------------------------------------------------------------------

def submission(i: int) -> bytes:
    return json.dumps({
        "kind": "feedback", "field": "construction", "locality_code": LOCALITY,
        "title": f"Công trình không phép số {i}",
        "content": "Công trình xây dựng không phép ở tổ 3, đã kéo dài hai tuần.",
    }).encode()


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects once if the server closed it."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname, parts.port
        self._conn = http.client.HTTPConnection(self._host, self._port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        try:
            return self._send(method, path, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._conn.close()  # the server dropped an idle keep-alive connection: reconnect
            return self._send(method, path, body)

    def _send(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self._conn.request(method, path, body=body, headers=headers)
        resp = self._conn.getresponse()
        return resp.status, resp.read()

    def get_json(self, path: str) -> dict:
        status, body = self.request("GET", path)
        return json.loads(body) if status == 200 else {}

    def close(self) -> None:
        self._conn.close()


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    last_code: str = ""  # tracking code of the request submitted last


def run_load(base_url: str, total: int, threads: int) -> LoadResult:
    """``total`` POSTs shared by ``threads`` clients; latency of each, wall time of all."""
    result, lock, numbers = LoadResult(), threading.Lock(), itertools.count()
    bar = click.progressbar(length=total, label="  POST /api/v1/requests")

    def client_loop() -> None:
        client = Client(base_url)
        try:
            while (i := next(numbers)) < total:
                started = time.perf_counter()
                status, body = client.request("POST", "/api/v1/requests", submission(i))
                elapsed = time.perf_counter() - started
                with lock:
                    result.latencies.append(elapsed)
                    if status == 201:
                        result.last_code = json.loads(body)["tracking_code"]
                    else:
                        result.errors += 1
                    bar.update(1)
        finally:
            client.close()

    with bar:
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(client_loop) for _ in range(threads)]:
                future.result()
        result.seconds = time.perf_counter() - started
    return result


# -- end to end --------------------------------------------------------------------------------

def registered_count(intake_db_url: str) -> int:
    """Requests whose public timeline has the "registered" step, read from intake's database."""
    engine = make_engine(intake_db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(timeline_entries)
                                .where(timeline_entries.c.step == "registered")).scalar_one()
    finally:
        engine.dispose()


def wait_for(probe: Callable[[], bool], what: str) -> float:
    """Seconds until ``probe()`` holds, polling every half second."""
    started = time.perf_counter()
    while not probe():
        if time.perf_counter() - started > E2E_TIMEOUT:
            raise click.ClickException(f"{what} did not happen within {E2E_TIMEOUT}s")
        time.sleep(POLL_EVERY)
    return time.perf_counter() - started


def wait_registered(platform: Platform, last_code: str, total: int) -> tuple[float, float]:
    """Seconds after the load until the last request, then all of them, read "registered"."""
    client = Client(platform.web_url("intake"))
    try:
        started = time.perf_counter()
        wait_for(lambda: client.get_json(f"/api/v1/requests/{last_code}").get("status")
                 == "registered", "the last request being registered")
        last_s = time.perf_counter() - started
        click.echo(f"  last request registered {last_s:.1f}s after the load; waiting for all ...")
        intake_db = platform.database_url("intake")
        wait_for(lambda: registered_count(intake_db) >= total, f"all {total} requests registered")
        return last_s, time.perf_counter() - started
    finally:
        client.close()


def consumed_by(platform: Platform, service: str, outcome: str) -> int:
    """Records a service's worker finished with ``outcome``, from its Prometheus metrics."""
    url = f"http://127.0.0.1:{platform.metrics_ports[service]}/metrics"
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    return int(sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == "giaitrinh_events_consumed_total"
                   and sample.labels.get("outcome") == outcome))


# -- memory ------------------------------------------------------------------------------------

def memory_snapshot(platform: Platform, broker: LocalKafkaBroker) -> dict[str, GroupMemory]:
    """Process name → memory of its process group (gunicorn's arbiter + its worker together)."""
    snapshot = {child.name: group_memory(child.process.pid)
                for child in platform.children if child.process is not None}
    if (pid := broker_pid(broker)) is not None:
        snapshot["kafka-broker (JVM)"] = group_memory(pid)
    return snapshot


def memory_rows(idle: dict[str, GroupMemory], loaded: dict[str, GroupMemory]) -> list[dict]:
    rows = [{"process": name, "processes": idle[name].processes,
             "idle_rss_mib": idle[name].rss_mib, "idle_pss_mib": idle[name].pss_mib,
             "loaded_rss_mib": loaded[name].rss_mib, "loaded_pss_mib": loaded[name].pss_mib}
            for name in idle if name in loaded]
    rows.append({"process": "total", "processes": sum(r["processes"] for r in rows),
                 **{key: sum(r[key] for r in rows) for key in
                    ("idle_rss_mib", "idle_pss_mib", "loaded_rss_mib", "loaded_pss_mib")}})
    return rows


# -- the benchmark -----------------------------------------------------------------------------

def latency_measurements(load: LoadResult) -> list[Measurement]:
    ordered = sorted(load.latencies)
    return [Measurement("http", f"POST latency p{p}", "sqlite", percentile(ordered, p) * 1000, "ms")
            for p in (50, 95, 99)]


def bench_http(parts: Parts, total: int, threads: int) -> tuple[list[Measurement], list[dict]]:
    """HTTP throughput and latency, end-to-end registration time, and memory per process."""
    with parts.kafka_broker("http") as broker:
        platform = start_platform(parts, broker)
        try:
            time.sleep(SETTLE_SECONDS)
            idle = memory_snapshot(platform, broker)
            load = run_load(platform.web_url("intake"), total, threads)
            click.echo(f"  {total / load.seconds:,.0f} requests/s, {load.errors} errors")
            if load.errors or not load.last_code:
                raise click.ClickException(f"{load.errors} of {total} POSTs failed")
            last_s, all_s = wait_registered(platform, load.last_code, total)
            redelivered = consumed_by(platform, "routing", "duplicate")
            loaded = memory_snapshot(platform, broker)
        finally:
            platform.stop_services()
    measurements = [
        rate("http", f"POST /api/v1/requests ({threads} client threads)", "sqlite", total,
             load.seconds, "requests/s"),
        *latency_measurements(load),
        Measurement("http", "after load: last request registered", "sqlite", last_s, "s"),
        Measurement("http", "after load: all requests registered", "sqlite", all_s, "s"),
        rate("http", "end to end: submitted → registered (load + drain)", "sqlite", total,
             load.seconds + all_s, "requests/s"),
        Measurement("http", "routing: events delivered twice (inbox hits)", "sqlite",
                    redelivered, "events"),
    ]
    return measurements, memory_rows(idle, loaded)
