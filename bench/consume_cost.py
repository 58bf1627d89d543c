"""What one event costs scoring's consumer, apart from the broker and the machine's load:
CPU time and SQL statements per ``request.submitted`` (new, then the same again as duplicates),
on a SQLite file, with ``IdempotentConsumer.process`` called directly and the per-poll query
(``WaitingRoom.queued_keys``) run once per 100 records as ``run_once`` does.

CPU time per event barely moves with the machine's load where wall-clock rates move 2–20×, so
this is how two commits are compared on a busy machine::

    .venv/bin/python bench/consume_cost.py 1000 .          # this tree
    (cd /tmp/old-tree && PYTHONPATH=<its services/*> /work/main/.venv/bin/python \
        /work/main/bench/consume_cost.py 1000 /tmp/old-tree)   # another commit
"""
from __future__ import annotations

import sys
import tempfile
import time

import sqlalchemy as sa


def main(n: int, root: str) -> None:
    sys.path.insert(0, root)  # tests.support of the tree measured
    from giaitrinh_common import topics
    from giaitrinh_common.bus import InMemoryBus, Message
    from tests.support.factories import migrated_runtime, request_submitted

    runtime = migrated_runtime("scoring", f"sqlite:///{tempfile.mkdtemp()}/scoring.db",
                               InMemoryBus())
    consumer = runtime.consumer()
    statements = [0]

    def count(*_args, **_kwargs) -> None:
        statements[0] += 1

    sa.event.listen(consumer.unit_of_work().storage.engine, "before_cursor_execute", count)
    events = [request_submitted() for _ in range(n)]
    messages = [Message(topics.REQUESTS, 0, i, e.key, e.to_json()) for i, e in enumerate(events)]

    def run() -> tuple[float, float, int]:
        statements[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for i, message in enumerate(messages):
            if i % 100 == 0 and hasattr(consumer, "waiting"):  # commits before the waiting room
                consumer._queued = consumer.waiting.queued_keys()
            consumer.process(message)
        return time.perf_counter() - wall, time.process_time() - cpu, statements[0]

    for label in ("new", "duplicates"):
        wall, cpu, count_ = run()
        print(f"{label}: {n / wall:.0f} events/s wall, {1000 * cpu / n:.2f} ms CPU/event, "
              f"{count_ / n:.2f} SQL statements/event")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, sys.argv[2] if len(sys.argv) > 2 else ".")
