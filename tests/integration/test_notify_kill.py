"""The same notice is not delivered twice, also when notify's worker is killed with SIGKILL in
the middle of sending: a real worker process, the real broker, a real SMTP server (the local
sink, answering each message after a short delay so that the kills land mid-send).

What is promised, and counted here (docs/ARCHITECTURE.md, notify, "the one window"):
- every message reaches the SMTP server at least once, and the mailbox (one copy per
  Message-ID) holds each exactly once;
- a message reaches the server a second time only if the worker died after the server kept it
  and before the ledger recorded "sent": at most one message per kill (the sender sends one
  message at a time), and only a message the ledger shows taken more than once. The sink kills
  the worker inside that window three times on purpose (after keeping a message, before its
  250), so the window is shown, not hoped for; three more kills land wherever they land.
"""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import pytest

from tests.support.notify_run import STATUTORY, NotifyRun, story
from tests.support.waiting import eventually

pytestmark = [pytest.mark.timeout(600)]

REQUESTS = 30
IN_THE_WINDOW = frozenset({20, 50, 80})  # arrivals at which the worker dies before hearing 250
AT_RANDOM = (35, 65, 95)  # arrivals after which it is killed at whatever it is doing


@pytest.fixture
def run(tmp_path, kafka_broker):
    notify = NotifyRun(tmp_path / "notify", kafka_broker.bootstrap_servers, smtp_delay=0.02, lease=9.0,
                       kill_on_arrival=IN_THE_WINDOW)
    yield notify
    notify.close()


def test_every_statutory_notice_reaches_the_mailbox_exactly_once_through_sigkills(run):
    domain = f"{uuid.uuid4().hex[:8]}.example.vn"
    events = [e for n in range(REQUESTS) for e in story(n, domain)]
    expected = REQUESTS * len(STATUTORY)
    run.start()
    run.publish(events)
    rng = random.Random(7)
    for threshold in AT_RANDOM:
        eventually(lambda t=threshold: run.restart_if_dead() or len(run.arrivals()) >= t, timeout=300,
                   what=f"{threshold} arrivals")
        time.sleep(rng.uniform(0, 0.3))
        run.kill()
        run.start()
    run.wait_sent(expected, timeout=300)
    time.sleep(1)  # nothing more should arrive: give a stray send the chance to show itself

    mine = [a for a in run.arrivals() if a["to"][0].endswith(domain)]
    copies = Counter(a["message_id"] for a in mine)
    mailbox = [m for m in run.mailbox() if m["To"].endswith(domain)]
    # The mailbox: each of the four notices of each request, once.
    assert len(mailbox) == expected == len(copies)
    told = Counter((m["To"], m["Subject"].split(" GT-")[0]) for m in mailbox)
    assert set(told.values()) == {1} and len({to for to, _ in told}) == REQUESTS
    assert {m["Subject"].split(" GT-")[0] for m in mailbox} == {
        "Đã tiếp nhận yêu cầu", "Thông báo thụ lý yêu cầu", "Thông báo gia hạn giải trình yêu cầu",
        "Văn bản giải trình yêu cầu"}
    # The server itself: every worker that died after the server kept a message and before the
    # ledger heard of it sent that message again (the window); a kill elsewhere sent nothing
    # twice; nothing arrived twice that the ledger does not show taken again after a death.
    doubled = {mid for mid, n in copies.items() if n > 1}
    assert set(run.killed_in_window) <= doubled and len(run.killed_in_window) == len(IN_THE_WINDOW)
    assert len(doubled) == sum(copies.values()) - expected <= run.kills
    assert doubled <= {f"<{k}@giaitrinh.local>" for k in run.in_doubt()}
    # Other tests' events on the shared broker's streams may leave rows of their own (an event
    # with no address: undeliverable); every message this run sent is recorded sent, once.
    assert run.ledger()["sent"] == expected
    print(f"\n{expected} notices, {run.kills} kills ({len(IN_THE_WINDOW)} inside the window): "
          f"{sum(copies.values())} arrivals at the SMTP server, {len(doubled)} sent twice, "
          f"{len(run.in_doubt())} taken again after a kill, {len(mailbox)} in the mailbox (once each)")
