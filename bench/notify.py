"""Notify: statutory notices from events to a real SMTP server, through the real worker process.

Requests are told step by step (submitted, accepted, extended, answered: four notices each),
published to a fresh broker; notify's worker (``giaitrinh notify worker``, SQLite) consumes them,
records each message in the ledger and sends it to the local SMTP sink (aiosmtpd). Measured:
messages per second from the first event published to the last message recorded sent; the
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
from parts import Parts

from tests.support.notify_run import STATUTORY, NotifyRun, story


def _peak_rss(run: NotifyRun, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError, AssertionError):  # the worker may be between lives
            peak[0] = max(peak[0], run.rss_mib())
        stop.wait(0.2)


def _clean_run(broker, workdir, n_requests: int) -> list[Measurement]:
    run = NotifyRun(workdir / "notify-clean", broker.bootstrap_servers)
    try:
        domain = f"{uuid.uuid4().hex[:8]}.example.vn"
        events = [e for n in range(n_requests) for e in story(n, domain)]
        expected = n_requests * len(STATUTORY)
        run.start()
        time.sleep(8)  # the worker joins its group and creates nothing yet: not part of the rate
        idle = run.rss_mib()
        stop, peak = threading.Event(), [idle]
        sampler = threading.Thread(target=_peak_rss, args=(run, stop, peak), daemon=True)
        sampler.start()
        started = time.perf_counter()
        run.publish(events)
        run.wait_sent(expected, timeout=1800)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        return [rate("notify", f"{len(events)} events → {expected} emails at the SMTP server (worker process)",
                     "SQLite", expected, seconds, unit="messages/s"),
                Measurement("notify", "worker RSS, idle after start", "process", idle, "MiB"),
                Measurement("notify", f"worker RSS, peak while sending {expected}", "process", peak[0], "MiB")]
    finally:
        run.close()


def _killed_run(broker, workdir, n_requests: int) -> list[Measurement]:
    arrivals_total = n_requests * len(STATUTORY)
    in_window = frozenset({arrivals_total // 6, arrivals_total // 2, 5 * arrivals_total // 6})
    run = NotifyRun(workdir / "notify-killed", broker.bootstrap_servers, smtp_delay=0.01, lease=9.0,
                    kill_on_arrival=in_window)
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
        return [Measurement("notify", f"second arrivals at the SMTP server, {run.kills} kills "
                                      f"({len(in_window)} inside the window)", "process",
                            sum(copies.values()) - len(copies), "messages"),
                Measurement("notify", f"duplicates in the mailbox (one per Message-ID) of {arrivals_total}",
                            "process", sum(mailbox.values()) - len(mailbox), "messages"),
                Measurement("notify", f"notices missing from the mailbox of {arrivals_total}", "process",
                            arrivals_total - len(mailbox), "messages")]
    finally:
        run.close()


def bench_notify(parts: Parts, n_requests: int) -> list[Measurement]:
    with parts.kafka_broker("notify") as broker:
        return _clean_run(broker, parts.workdir, n_requests) + _killed_run(broker, parts.workdir, n_requests)
