"""Notify: statutory notices from events to a real SMTP server, through the real worker process.

Requests are told step by step (submitted, accepted, extended, answered: four notices each),
published to a fresh broker; notify's worker (``giaitrinh notify worker``, on SQLite and then on
the throwaway PostgreSQL) consumes them, records each message in the ledger and sends it to the
local SMTP sink (aiosmtpd). Measured: messages per second from the first event published to the
last message recorded sent (and when the last event was applied: the consumer's share); the
worker's peak resident memory; and, in a second run with the worker SIGKILLed six times (three
of them inside the window, after the server kept a message and before its 250), the copies at
the SMTP server and in the mailbox (one per Message-ID: must be the number of notices).
"""
from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import Counter

from measure import Measurement, rate
from parts import BACKENDS, Parts

from tests.support.notify_run import STATUTORY, NotifyRun, story

LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _sample(run: NotifyRun, stop: threading.Event, peak: list[float], applied_at: list[float],
            expected_events: int, started: float) -> None:
    """The worker's peak RSS, and the moment its consumer had applied every event."""
    while not stop.is_set():
        with contextlib.suppress(OSError, AssertionError):  # the worker may be between lives
            peak[0] = max(peak[0], run.rss_mib())
        if not applied_at and run.applied() >= expected_events:
            applied_at.append(time.perf_counter() - started)
        stop.wait(0.2)


def _clean_run(broker, parts: Parts, backend: str, n_requests: int) -> list[Measurement]:
    url = parts.database_url(backend, "notify_clean") if backend != "sqlite" else None
    run = NotifyRun(parts.workdir / f"notify-clean-{backend}", broker.bootstrap_servers, database_url=url)
    try:
        domain = f"{uuid.uuid4().hex[:8]}.example.vn"
        events = [e for n in range(n_requests) for e in story(n, domain)]
        expected = n_requests * len(STATUTORY)
        run.start()
        time.sleep(8)  # the worker joins its group and creates nothing yet: not part of the rate
        idle = run.rss_mib()
        stop, peak, applied_at = threading.Event(), [idle], []
        started = time.perf_counter()
        sampler = threading.Thread(target=_sample, args=(run, stop, peak, applied_at, len(events), started),
                                   daemon=True)
        sampler.start()
        run.publish(events)
        run.wait_sent(expected, timeout=1800)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        label = LABEL[backend]
        return [rate("notify", f"{len(events)} events → {expected} emails at the SMTP server (worker process)",
                     label, expected, seconds, unit="messages/s"),
                Measurement("notify", "of which: every event applied (consumer) after", label,
                            applied_at[0] if applied_at else seconds, "s"),
                Measurement("notify", "worker RSS, idle after start", label, idle, "MiB"),
                Measurement("notify", f"worker RSS, peak while sending {expected}", label, peak[0], "MiB")]
    finally:
        run.close()


def _killed_run(broker, parts: Parts, backend: str, n_requests: int) -> list[Measurement]:
    arrivals_total = n_requests * len(STATUTORY)
    in_window = frozenset({arrivals_total // 6, arrivals_total // 2, 5 * arrivals_total // 6})
    url = parts.database_url(backend, "notify_killed") if backend != "sqlite" else None
    run = NotifyRun(parts.workdir / f"notify-killed-{backend}", broker.bootstrap_servers, smtp_delay=0.01,
                    lease=9.0, kill_on_arrival=in_window, database_url=url)
    try:
        domain = f"{uuid.uuid4().hex[:8]}.example.vn"
        events = [e for n in range(n_requests) for e in story(n, domain)]
        run.start()
        run.publish(events)
        for share in (1 / 3, 2 / 3, 0.9):  # and three kills wherever the worker happens to be
            deadline = time.monotonic() + 900
            while len(run.arrivals()) < share * arrivals_total and time.monotonic() < deadline:
                run.restart_if_dead()
                time.sleep(0.1)
            run.kill()
            run.start()
        run.wait_sent(arrivals_total, timeout=1800)
        time.sleep(1)
        copies = Counter(a["message_id"] for a in run.arrivals())
        mailbox = Counter(m["Message-ID"] for m in run.mailbox())
        label = LABEL[backend]
        return [Measurement("notify", f"second arrivals at the SMTP server, {run.kills} kills "
                                      f"({len(in_window)} inside the window)", label,
                            sum(copies.values()) - len(copies), "messages"),
                Measurement("notify", f"duplicates in the mailbox (one per Message-ID) of {arrivals_total}",
                            label, sum(mailbox.values()) - len(mailbox), "messages"),
                Measurement("notify", f"notices missing from the mailbox of {arrivals_total}", label,
                            arrivals_total - len(mailbox), "messages")]
    finally:
        run.close()


def bench_notify(parts: Parts, n_requests: int, backends: tuple[str, ...] = BACKENDS) -> list[Measurement]:
    """Both runs on each backend, each on a fresh broker (no run reads another's events)."""
    out: list[Measurement] = []
    for backend in backends:
        with parts.kafka_broker(f"notify-{backend}") as broker:
            out += _clean_run(broker, parts, backend, n_requests)
            out += _killed_run(broker, parts, backend, n_requests)
    return out
