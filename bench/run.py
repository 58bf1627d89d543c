"""Benchmarks of Giải Trình on real parts: `make bench`; `.venv/bin/python bench/run.py -h`."""
from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# tests.support (ThrowawayPostgres, event factories) lives in the repository, not in the venv.
sys.path.insert(0, str(ROOT))

import click  # noqa: E402
from http_load import bench_http  # noqa: E402
from inbox_page import bench_inbox  # noqa: E402
from measure import Measurement, markdown_table, results_table  # noqa: E402
from notify import bench_notify  # noqa: E402
from parts import Parts, machine_facts  # noqa: E402
from pipeline import bench_consume, bench_relay  # noqa: E402
from routing import bench_actions, bench_watcher  # noqa: E402
from search import bench_search  # noqa: E402
from submit_ratio import bench_submit_layers, bench_submit_ratio  # noqa: E402

BENCHMARKS = ("relay", "consume", "http", "watcher", "actions", "search", "notify", "inbox", "submit-ratio",
              "submit-layers")
SIZES = {"events": (20000, 2000), "requests": (3000, 300), "cases": (1_000_000, 20_000),
         "due": (2000, 200), "actions": (2000, 200),
         "published": (1_000_000, 20_000), "stories": (500, 50), "inbox": (100_000, 5_000),
         "ratio_seconds": (10, 4), "ratio_rounds": (3, 1)}  # (full, --quick)
RESULTS_DIR = ROOT / "bench" / "results"


def default_size(name: str, quick: bool) -> int:
    full, small = SIZES[name]
    return small if quick else full


def default_output(quick: bool, only: str | None) -> Path:
    """bench/results/<UTC date>.json; a -quick or -<name> suffix keeps partial runs apart."""
    name = datetime.now(UTC).strftime("%Y-%m-%d")
    name += f"-{only}" if only else ""
    name += "-quick" if quick else ""
    return RESULTS_DIR / f"{name}.json"


def memory_table(rows: list[dict]) -> str:
    return markdown_table(
        ["process", "procs", "idle RSS MiB", "idle PSS MiB", "loaded RSS MiB", "loaded PSS MiB"],
        [(r["process"], r["processes"], r["idle_rss_mib"], r["idle_pss_mib"],
          r["loaded_rss_mib"], r["loaded_pss_mib"]) for r in rows])


def heading(name: str, text: str) -> None:
    click.echo(click.style(f"\n== {name}: ", fg="cyan", bold=True) + text)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--quick", is_flag=True,
              help="Small sizes (2000 events, 300 requests) to check the benchmarks work.")
@click.option("--only", type=click.Choice(BENCHMARKS + ("memory",)), default=None,
              help="Run one benchmark. `memory` is measured during `http` and runs it.")
@click.option("--events", type=click.IntRange(min=1), default=None,
              help="Events for relay and consume [default: 20000, --quick 2000].")
@click.option("--requests", type=click.IntRange(min=1), default=None,
              help="HTTP requests for http [default: 3000, --quick 300].")
@click.option("--cases", type=click.IntRange(min=1), default=None,
              help="Open cases for watcher [default: 1000000, --quick 20000].")
@click.option("--due", type=click.IntRange(min=1), default=None,
              help="Of them, cases overdue on the day of the sweep [default: 2000, --quick 200].")
@click.option("--published", "n_published", type=click.IntRange(min=1), default=None,
              help="Published answers for search [default: 1000000, --quick 20000].")
@click.option("--actions", "n_actions", type=click.IntRange(min=1), default=None,
              help="Cases extended one by one for actions [default: 2000, --quick 200].")
@click.option("--client-threads", type=click.IntRange(min=1), default=8, show_default=True,
              help="Client threads sending the HTTP requests.")
@click.option("--web-threads", type=click.IntRange(min=1, max=64), default=None,
              help="gunicorn threads of every web process in submit-ratio and submit-layers, "
                   "intake's and the bare endpoint's alike [default: the platform's, 4].")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON results file [default: bench/results/<UTC date>.json, with a "
                   "-<name> and/or -quick suffix for --only and --quick runs].")
def main(quick: bool, only: str | None, events: int | None, requests: int | None,
         cases: int | None, due: int | None, n_actions: int | None, n_published: int | None,
         client_threads: int, web_threads: int | None, output: Path | None) -> None:
    """Measure Giải Trình's throughput, latency and memory on real parts started here.

    \b
    relay    intake's outbox: N events written with uow.emit (a commit every 100), then
             OutboxRelay.relay_all() publishes them to Kafka (batches of 200).
             events/s for the write and for the relay, on SQLite and on PostgreSQL.
    consume  scoring's idempotent consumer: N request.submitted events published to
             giaitrinh.requests.v1 and applied by consumer().run_once() (inbox row +
             indicator update, one transaction each); then the same N again, all duplicates.
             events/s for publish, apply and duplicates, on SQLite and on PostgreSQL.
    http     the whole platform (8 gunicorn/worker processes, SQLite): M POST
             /api/v1/requests from --client-threads keep-alive clients; requests/s,
             p50/p95/p99 latency, and seconds until the last and all requests read
             "registered" on GET /api/v1/requests/<tracking_code> (through Kafka and routing).
    memory   during http: VmRSS and PSS of every process (each summed over its process
             group) and of the Kafka JVM, idle after start and after the load.
    watcher  routing's deadline watcher on PostgreSQL: N open cases, D of them overdue
             today; the time to find the due ones (the watch-date index) and the whole
             sweep (alerts raised, each with its event and audit row).
    search   intake's public search on PostgreSQL: N published answers (1,000,000), then
             searches as people type them through GET /api/v1/search; p50/p95/p99.
    actions  officials' actions through RoutingRuntime.act (load, check, save with the
             version, step log, audit chain, outbox): actions/s on SQLite and PostgreSQL.
    inbox    the console's inbox page (GET /console/, rendered by routing's app) as a locality
             head and as an official, over 100,000 cases of one locality on PostgreSQL: p50/p95/p99.
    notify   500 requests (--quick 50) submitted, accepted, extended and answered, through
             notify's worker process to a real SMTP server: messages/s, the worker's memory,
             then the copies at the server and in the mailbox after six SIGKILLs.
    submit-ratio  intake's POST /api/v1/requests against a bare Flask JSON endpoint under the
             same gunicorn configuration, through the gateway and direct, loaded by wrk
             (16 connections); requests/s, p50/p95/p99 and the ratio (3 rounds of 10 s,
             --quick 1 of 4 s).
    submit-layers  where intake's submit spends its gunicorn worker's CPU: intake's app cut
             short after its platform hooks, its view, its domain (no write) and whole, each
             against the bare endpoint, direct, loaded by wrk in turn; requests/s, CPU per
             request and what each layer adds (3 rounds of 10 s, --quick 1 of 4 s).

    Each benchmark starts its own Kafka broker (KRaft, free ports, temp dir); PostgreSQL is a
    throwaway cluster (fsync off) and SQLite files live in a temp dir. Everything is removed
    at the end. A markdown table is printed and the numbers, with machine facts, go to --output.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)
    selected = ("http" if only == "memory" else only,) if only else BENCHMARKS
    n_events = events or default_size("events", quick)
    n_requests = requests or default_size("requests", quick)
    n_cases, n_due = cases or default_size("cases", quick), due or default_size("due", quick)
    n_actions = n_actions or default_size("actions", quick)
    n_published = n_published or default_size("published", quick)
    output = output or default_output(quick, only)

    started = time.monotonic()
    measurements: list[Measurement] = []
    memory: list[dict] = []
    with Parts() as parts:
        facts = machine_facts(parts.workdir)
        click.echo(f"{facts['nproc']} cores, {facts['memory_total_mib']} MiB, Python "
                   f"{facts['python']}, Kafka {facts['kafka']}, {facts['postgresql']}")
        if "relay" in selected:
            heading("relay", f"{n_events} events through intake's outbox")
            measurements += bench_relay(parts, n_events)
        if "consume" in selected:
            heading("consume", f"{n_events} events through scoring's consumer, then again")
            measurements += bench_consume(parts, n_events)
        if "http" in selected:
            heading("http + memory", f"{n_requests} requests from {client_threads} threads")
            http_measurements, memory = bench_http(parts, n_requests, client_threads)
            measurements += http_measurements
        if "watcher" in selected:
            heading("watcher", f"{n_cases:,} open cases, {n_due:,} overdue today (PostgreSQL)")
            measurements += bench_watcher(parts, n_cases, n_due)
        if "actions" in selected:
            heading("actions", f"{n_actions:,} cases extended one by one")
            measurements += bench_actions(parts, n_actions)
        if "search" in selected:
            heading("search", f"{n_published:,} published answers searched (PostgreSQL)")
            measurements += bench_search(parts, n_published)
        if "notify" in selected:
            n_stories = default_size("stories", quick)
            heading("notify", f"{n_stories} requests told four times each, events → SMTP")
            measurements += bench_notify(parts, n_stories)
        if "inbox" in selected:
            n_inbox = default_size("inbox", quick)
            heading("inbox", f"the console's inbox page over {n_inbox:,} cases of one locality (PostgreSQL)")
            measurements += bench_inbox(parts, n_inbox)
        if "submit-ratio" in selected:
            seconds, rounds = default_size("ratio_seconds", quick), default_size("ratio_rounds", quick)
            heading("submit-ratio", f"intake's submit against a bare Flask endpoint, {rounds} × {seconds}s (wrk)")
            measurements += bench_submit_ratio(parts, seconds, rounds, web_threads)
        if "submit-layers" in selected:
            seconds, rounds = default_size("ratio_seconds", quick), default_size("ratio_rounds", quick)
            heading("submit-layers", f"intake's submit layer by layer against a bare endpoint, {rounds} × {seconds}s")
            measurements += bench_submit_layers(parts, seconds, rounds, web_threads)
    duration = time.monotonic() - started

    click.echo("\n" + results_table(measurements))
    if memory:
        click.echo("\n" + memory_table(memory))
    click.echo(f"\ntotal time {duration:.0f}s")
    write_results(output, {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "sizes": {"events": n_events, "requests": n_requests, "client_threads": client_threads,
                  "cases": n_cases, "due": n_due, "actions": n_actions, "published": n_published},
        "machine": facts,
        "duration_seconds": round(duration, 1),
        "results": [asdict(m) for m in measurements],
        "memory": memory,
    })
    click.echo(f"results written to {output}")


def write_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
