"""``submit-ratio`` — accepted submissions per second against a bare Flask endpoint, in one run.

Issue 9's measure: intake's ``POST /api/v1/requests`` (validation, the request row, its first
timeline step and its outbox event committed before the 201) against a bare Flask JSON endpoint
(``bench/bare_app.py``) under the same gunicorn configuration — the command line of
:meth:`Platform.web_argv` (gthread, one worker, 4 threads, the access log), only the bind address
and the application differ — both behind the same gateway (the project's nginx configuration,
rendered by :class:`~giaitrinh_platform.gateway.LocalGateway`), and also straight at gunicorn.

The load is ``wrk`` (C, 2 threads, 16 keep-alive connections, the same JSON body every time),
so the load generator takes as little as possible of the 2 cores the servers share.
Each round runs bare then intake through the gateway, then both direct, for the same number of
seconds; a short warm-up first. The ratio is intake's median requests/s over bare's.

What is not in it: Kafka (the web process only writes its outbox; the relay runs in the worker,
which is not started), and the gateway's per-address POST limit — all the load comes from one
address here, so the benchmark's copy of the configuration drops the ``limit_req`` line.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from measure import Measurement
from parts import Parts

from giaitrinh_common import topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.storage import make_engine
from giaitrinh_intake.adapters.orm import requests as requests_table
from giaitrinh_platform.kafka_broker import free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import ChildProcess, GatewayProcess, Platform
from tests.support.factories import LOCALITY, migrated_runtime

BENCH_DIR = Path(__file__).resolve().parent
CONNECTIONS = 16  # as the measure (wrk -c 16)
WRK_THREADS = 2
WARM_UP_SECONDS = 2
TARGETS = ("bare", "intake")
PATHS = ("gateway", "direct")
POST_LIMIT = "limit_req zone=giaitrinh_posts"  # the line of the gateway's site the copy drops

# wrk's script: the POST, and its summary as one JSON line (latencies in microseconds).
WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d}\\n', summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def submission() -> str:
    """One feedback to the ward every benchmark uses (ASCII-escaped: it sits in a Lua string)."""
    return json.dumps({
        "kind": "feedback", "field": "construction", "locality_code": LOCALITY,
        "title": "Công trình không phép ở tổ 3",
        "content": "Công trình xây dựng không phép ở tổ 3, đã kéo dài hai tuần.",
    })


@dataclass(frozen=True)
class WrkRun:
    target: str
    path: str
    requests: int
    seconds: float
    errors: int  # connect/read/write/timeout errors and answers other than 2xx/3xx
    p50_ms: float
    p95_ms: float
    p99_ms: float
    load: float  # the machine's 1-minute load average when the run started
    cpu_ms: float  # CPU time (user + system) of the app's gunicorn worker and its children per answered request


    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def worker_pid(arbiter: ChildProcess) -> int:
    """The pid of the one gunicorn worker under ``arbiter`` (``--workers 1``)."""
    assert arbiter.process is not None
    pid = arbiter.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if len(children) != 1:
        raise click.ClickException(f"{arbiter.name}: expected one gunicorn worker, found {children}")
    return int(children[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (``/proc/<pid>/stat``, all its threads)
    and of its running children (intake's writer process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    return own + sum(_cpu_seconds_if_running(child) for child in children)


def _cpu_seconds_if_running(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except FileNotFoundError:  # ended between the listing and the reading
        return 0.0


def run_wrk(wrk: str, script: Path, url: str, seconds: int) -> dict:
    argv = [wrk, "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s",
            "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def measure(wrk: str, script: Path, target: str, path: str, url: str, seconds: int, worker: int) -> WrkRun:
    load = load_average()
    cpu = cpu_seconds(worker)
    s = run_wrk(wrk, script, url, seconds)
    cpu = cpu_seconds(worker) - cpu
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    run = WrkRun(target, path, s["requests"], s["duration_us"] / 1e6, errors,
                 s["p50_us"] / 1000, s["p95_us"] / 1000, s["p99_us"] / 1000, load,
                 1000 * cpu / max(s["requests"], 1))
    click.echo(f"  {path:7} {target:6} {run.rate:7,.0f} req/s  p50 {run.p50_ms:6.1f}  "
               f"p95 {run.p95_ms:6.1f}  p99 {run.p99_ms:6.1f} ms  CPU {run.cpu_ms:4.2f} ms/req  "
               f"errors {errors}  (load {load:.1f})")
    if errors:
        raise click.ClickException(f"{errors} of {s['requests']} requests to {url} failed or were "
                                   "refused: the benchmark would not measure accepted submissions")
    return run


# -- the processes -----------------------------------------------------------------------------

def web_argv(platform: Platform, port: int, target: str, name: str) -> list[str]:
    """``platform.web_argv('intake')`` — the platform's gunicorn command — with another bind
    address, control socket and application: the same configuration for both apps."""
    argv = platform.web_argv("intake")
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    if "--control-socket" in argv:
        argv[argv.index("--control-socket") + 1] = str(platform.data_dir / "run" / f"{name}-web.ctl")
    return [*argv[:-1], "--pythonpath", str(BENCH_DIR), target]


def wait_healthy(url: str, child: ChildProcess, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if not child.alive():
            raise click.ClickException(f"{child.name} exited during start: see {child.log_path}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"{child.name} did not answer within {timeout:.0f}s")
        time.sleep(0.3)


def start_apps(data_dir: Path, intake_db: str, apps: dict[str, str],
               web_threads: int | None = None) -> tuple[Platform, dict[str, int]]:
    """One gunicorn per app (``name``: its WSGI target), each with the platform's command and
    intake's environment (``GIAITRINH_BENCH_LAYER`` = its name) on a free port, all answering;
    intake's database is ``intake_db``. The first app stands for intake, the last for the others.
    ``web_threads``: gunicorn's threads for every app alike (None: the platform's own number)."""
    ports = {name: free_port() for name in apps}
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(INTAKE_DATABASE_URL=intake_db, GIAITRINH_GATEWAY_PORT=str(free_port()),
               # Nothing listens there: the web process never talks to Kafka to accept a request.
               GIAITRINH_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}", GIAITRINH_LOG_LEVEL="WARNING")
    first, last = ports[next(iter(apps))], ports[list(apps)[-1]]
    threads = {} if web_threads is None else {"web_threads": web_threads}
    platform = Platform(data_dir=data_dir, kafka_bootstrap=env["GIAITRINH_KAFKA_BOOTSTRAP"], base_env=env,
                        web_ports={"intake": first, "routing": last, "scoring": last, "notify": last}, **threads)
    try:
        for name, target in apps.items():
            child = ChildProcess(f"{name}-web", web_argv(platform, ports[name], target, name),
                                 {**platform.service_env("intake"), "GIAITRINH_BENCH_LAYER": name},
                                 data_dir / "logs" / f"{name}-web.log")
            child.start()
            platform.children.append(child)
        for child, port in zip(platform.children, ports.values(), strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", child)
    except BaseException:
        platform.stop_services()
        raise
    return platform, ports


def start(parts: Parts, intake_db: str, web_threads: int | None = None) -> Platform:
    """intake's web process, the bare app's, and the gateway in front of both (intake at
    ``/intake/``, the bare app at ``/routing/``, the same kind of location)."""
    platform, _ = start_apps(parts.workdir / "submit-ratio", intake_db,
                             {"intake": SERVICES["intake"].wsgi_target, "bare": "bare_app:create_app()"}, web_threads)
    try:
        start_gateway(platform)
    except BaseException:
        platform.stop_services()
        raise
    return platform


def start_gateway(platform: Platform) -> None:
    gateway = platform.gateway
    gateway.write_config()
    site = gateway.config_path.parent / "giaitrinh.conf"
    text = site.read_text("utf-8")
    if POST_LIMIT not in text:
        raise click.ClickException(f"no '{POST_LIMIT}' in {site}: update bench/submit_ratio.py")
    site.write_text(text.replace(POST_LIMIT, "# (benchmark: no per-address limit) " + POST_LIMIT), "utf-8")
    gateway.check()
    child = GatewayProcess("gateway", gateway.argv(), dict(platform.base_env), gateway.log_path)
    child.start()
    platform.children.append(child)
    platform.wait_gateway()


def stored_counts(intake_db: str) -> tuple[int, int]:
    """Requests stored, and ``request.submitted`` events in the outbox, in intake's database."""
    engine = make_engine(intake_db)
    outbox = sa.table("outbox", sa.column("topic"), sa.column("type"))
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(requests_table)).scalar_one()
            events = conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
                outbox.c.topic == topics.REQUESTS,
                outbox.c.type == "vn.giaitrinh.request.submitted.v1")).scalar_one()
        return stored, events
    finally:
        engine.dispose()


# -- the benchmark -----------------------------------------------------------------------------

def prepare(parts: Parts, name: str) -> tuple[str, str, Path]:
    """``wrk``'s path, a migrated intake database (every ward of province 44 served) and wrk's
    script, for the benchmark ``name``."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise click.ClickException("wrk not found: `bash deploy/scripts/bootstrap.sh --test` "
                                   "installs it from Debian's packages (apt-get install wrk)")
    intake_db = parts.database_url("sqlite", f"{name}-intake")
    migrated_runtime("intake", intake_db, InMemoryBus()).close()
    script = parts.workdir / f"{name}.lua"
    script.write_text(WRK_SCRIPT % submission(), "utf-8")
    return wrk, intake_db, script


def bench_submit_ratio(parts: Parts, seconds: int, rounds: int, web_threads: int | None = None) -> list[Measurement]:
    wrk, intake_db, script = prepare(parts, "submit-ratio")
    platform = start(parts, intake_db, web_threads)
    threads = platform.web_threads
    gateway = platform.gateway.url
    urls = {("gateway", "intake"): f"{gateway}/intake/api/v1/requests",
            ("gateway", "bare"): f"{gateway}/routing/api/v1/requests",
            ("direct", "intake"): f"{platform.web_url('intake')}/api/v1/requests",
            ("direct", "bare"): f"{platform.web_url('routing')}/api/v1/requests"}
    runs: list[WrkRun] = []
    try:
        # start() began intake's gunicorn, then the bare app's (then the gateway).
        workers = {"intake": worker_pid(platform.children[0]), "bare": worker_pid(platform.children[1])}
        click.echo(f"  warm-up, {WARM_UP_SECONDS}s each ...")
        for (path, target), url in urls.items():
            measure(wrk, script, target, path, url, WARM_UP_SECONDS, workers[target])
        for number in range(1, rounds + 1):
            click.echo(f"  round {number} of {rounds}, {seconds}s each, {CONNECTIONS} connections:")
            for path in PATHS:
                for target in TARGETS:
                    runs.append(measure(wrk, script, target, path, urls[path, target], seconds, workers[target]))
    finally:
        platform.stop_services()
    stored, events = stored_counts(intake_db)
    accepted = sum(r.requests for r in runs if r.target == "intake")
    click.echo(f"  intake stored {stored:,} requests and {events:,} request.submitted events "
               f"(the timed runs counted {accepted:,} answers, warm-up not included)")
    if stored != events or stored < accepted:
        raise click.ClickException("every answered submission must be stored with its event")
    return [*summarise(runs), threads_measurement("submit-ratio", threads)]


def threads_measurement(benchmark: str, threads: int) -> Measurement:
    """The gunicorn threads every app of the run had, for the record."""
    return Measurement(benchmark, "gunicorn threads per web process (every app alike)", "machine", threads, "threads")


def round_ratios(runs: list[WrkRun], path: str) -> list[float]:
    """Intake's requests/s over the bare endpoint's, round by round (the runs in the order run)."""
    rates = {target: [r.rate for r in runs if r.path == path and r.target == target] for target in TARGETS}
    return [intake / bare for bare, intake in zip(rates["bare"], rates["intake"], strict=True)]


def summarise(runs: list[WrkRun]) -> list[Measurement]:
    """Per path: each app's median requests/s and p50/p95/p99 (medians over the rounds), the ratio."""
    out: list[Measurement] = []
    for path in PATHS:
        median = {target: {key: statistics.median(getattr(r, key) for r in runs
                                                  if r.path == path and r.target == target)
                           for key in ("rate", "p50_ms", "p95_ms", "p99_ms", "load", "cpu_ms")}
                  for target in TARGETS}
        n = sum(r.requests for r in runs if r.path == path and r.target == "intake")
        for target, label in (("bare", "bare Flask endpoint"), ("intake", "intake POST /api/v1/requests")):
            m = median[target]
            out.append(Measurement("submit-ratio", f"{path}: {label}", "sqlite", m["rate"], "requests/s",
                                   n if target == "intake" else None))
            out += [Measurement("submit-ratio", f"{path}: {label} p{p}", "sqlite", m[f"p{p}_ms"], "ms")
                    for p in (50, 95, 99)]
            out.append(Measurement("submit-ratio", f"{path}: {label}, CPU of the gunicorn worker and its children",
                                   "sqlite", m["cpu_ms"], "ms/request"))
        out.append(Measurement("submit-ratio", f"{path}: ratio intake / bare (target ≥ 0.5)", "sqlite",
                               median["intake"]["rate"] / median["bare"]["rate"], "ratio"))
        # Each round runs bare then intake back to back: their own ratio is the least touched by
        # this machine's speed, which drifts by half from one minute to the next (bench/README.md).
        own = round_ratios(runs, path)
        out += [Measurement("submit-ratio", f"{path}: ratio intake / bare, {label} of the rounds' own", "sqlite",
                            value, "ratio") for label, value in (("median", statistics.median(own)),
                                                                  ("lowest", min(own)), ("highest", max(own)))]
    out.append(Measurement("submit-ratio", "machine load (1-min average, median at the runs' start)",
                           "machine", statistics.median(r.load for r in runs), "load"))
    return out


# -- submit-layers: what each layer of intake's submit costs ----------------------------------

def bench_submit_layers(parts: Parts, seconds: int, rounds: int, web_threads: int | None = None) -> list[Measurement]:
    """Each layer's gunicorn worker loaded by wrk directly, in turn, ``rounds`` times: its
    requests/s and CPU per request; the CPU a layer adds is its median less the layer's below."""
    from intake_layers import LAYERS

    wrk, intake_db, script = prepare(parts, "submit-layers")
    order = ("bare", *LAYERS)
    platform, ports = start_apps(parts.workdir / "submit-layers", intake_db,
                                 {name: "bare_app:create_app()" if name == "bare" else "intake_layers:create_app()"
                                  for name in order}, web_threads)
    threads = platform.web_threads
    runs: list[WrkRun] = []
    try:
        workers = {name: worker_pid(child) for name, child in zip(order, platform.children, strict=True)}
        urls = {name: f"http://127.0.0.1:{port}/api/v1/requests" for name, port in ports.items()}
        click.echo(f"  warm-up, {WARM_UP_SECONDS}s each ...")
        for name in order:
            measure(wrk, script, name, "direct", urls[name], WARM_UP_SECONDS, workers[name])
        for number in range(1, rounds + 1):
            click.echo(f"  round {number} of {rounds}, {seconds}s each, {CONNECTIONS} connections:")
            runs += [measure(wrk, script, name, "direct", urls[name], seconds, workers[name]) for name in order]
    finally:
        platform.stop_services()
    return [*summarise_layers(runs, order), threads_measurement("submit-layers", threads)]


def summarise_layers(runs: list[WrkRun], order: Sequence[str]) -> list[Measurement]:
    out: list[Measurement] = []
    median = {name: {key: statistics.median(getattr(r, key) for r in runs if r.target == name)
                     for key in ("rate", "cpu_ms")} for name in order}
    below = None
    for name in order:
        m = median[name]
        out.append(Measurement("submit-layers", f"{name}: requests/s (direct)", "sqlite", m["rate"], "requests/s"))
        out.append(Measurement("submit-layers", f"{name}: CPU of the gunicorn worker and its children", "sqlite",
                               m["cpu_ms"], "ms/request"))
        if below is not None:
            out.append(Measurement("submit-layers", f"{name}: CPU it adds to the layer below ({below})", "sqlite",
                                   m["cpu_ms"] - median[below]["cpu_ms"], "ms/request"))
            out.append(Measurement("submit-layers", f"{name}: ratio to bare", "sqlite",
                                   m["rate"] / median["bare"]["rate"], "ratio"))
        below = name
    out.append(Measurement("submit-layers", "machine load (1-min average, median at the runs' start)",
                           "machine", statistics.median(r.load for r in runs), "load"))
    return out


if __name__ == "__main__":
    sys.exit("run it as: .venv/bin/python bench/run.py --only submit-ratio [--quick]")
