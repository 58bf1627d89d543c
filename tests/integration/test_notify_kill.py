"""The same notice is not delivered twice, also when notify's worker is killed with SIGKILL in
the middle of sending: a real worker process, the real broker, a real SMTP server (the local
sink, answering each message after a short delay so that the kills land mid-send).

What is promised, and counted here (docs/ARCHITECTURE.md, notify, "the one window"):
- every message reaches the SMTP server at least once, and the mailbox (one copy per
  Message-ID) holds each exactly once;
- a message reaches the server a second time only if the worker died after the server's 250
  and before the ledger recorded "sent": at most one message per kill (the sender sends one
  message at a time), and only a message the ledger shows taken more than once.
"""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import pytest

from tests.support.notify_run import STATUTORY, NotifyRun, story

pytestmark = [pytest.mark.timeout(600)]

REQUESTS = 30


@pytest.fixture
def run(tmp_path, kafka_broker):
    notify = NotifyRun(tmp_path / "notify", kafka_broker.bootstrap_servers, smtp_delay=0.05, lease=9.0)
    yield notify
    notify.close()


def test_every_statutory_notice_reaches_the_mailbox_exactly_once_through_sigkills(run):
    domain = f"{uuid.uuid4().hex[:8]}.example.vn"
    events = [e for n in range(REQUESTS) for e in story(n, domain)]
    expected = REQUESTS * len(STATUTORY)
    run.start()
    run.publish(events)
    rng = random.Random(7)
    for _ in range(4):  # killed mid-run, four times, while the mail goes out
        time.sleep(rng.uniform(1.5, 3.0))
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
    # The server itself: a second arrival only inside the window, at most one per kill, and
    # only of a message the ledger shows taken again after a worker died holding it.
    doubled = {mid for mid, n in copies.items() if n > 1}
    assert sum(copies.values()) - expected <= run.kills
    in_doubt = {f"<{k}@giaitrinh.local>" for k in run.in_doubt()}
    assert in_doubt, "no kill landed while messages were being sent: the test proved nothing"
    assert doubled <= in_doubt
    assert run.ledger() == {"sent": expected}
    print(f"\n{expected} notices, {run.kills} kills: {sum(copies.values())} arrivals at the SMTP server, "
          f"{len(doubled)} sent twice (inside the window), {len(in_doubt)} taken again after a kill, "
          f"{len(mailbox)} in the mailbox")
