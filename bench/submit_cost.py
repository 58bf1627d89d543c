"""What one accepted submission costs intake's web app in process, apart from gunicorn, the
network and the machine's load: CPU time, SQL statements and commits per ``POST /api/v1/requests``
(the JSON feedback of ``submit-ratio``), through Flask's test client on a migrated SQLite file,
from 1 and from 4 threads (as gunicorn's 4 gthreads), and the bare Flask endpoint the same way.

CPU time per request barely moves with the machine's load where wall-clock rates move 2–5×, so
this is how two versions are compared on a shared machine (run each twice, alternating)::

    .venv/bin/python bench/submit_cost.py 2000
"""
from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]  # tests.support, and submit_ratio's submission

HEADERS = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
           "X-Forwarded-Host": "giaitrinh.example", "X-Forwarded-Prefix": "/intake"}  # as the gateway sends


def run(app, n: int, threads: int, body: bytes) -> float:
    """CPU ms per request of ``n`` POSTs spread over ``threads`` threads."""
    def post(count: int) -> None:
        client = app.test_client()
        for _ in range(count):
            resp = client.post("/api/v1/requests", data=body, headers=HEADERS)
            assert resp.status_code == 201, resp.get_data(as_text=True)

    workers = [threading.Thread(target=post, args=(n // threads,)) for _ in range(threads)]
    cpu = time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return 1000 * (time.process_time() - cpu) / (n // threads * threads)


def main(n: int) -> None:
    import bare_app
    from submit_ratio import submission

    from giaitrinh_common.bus import InMemoryBus
    from giaitrinh_intake.entrypoints.web import create_app
    from tests.support.factories import migrated_runtime

    runtime = migrated_runtime("intake", f"sqlite:///{tempfile.mkdtemp()}/intake.db", InMemoryBus())
    intake, bare = create_app(runtime), bare_app.create_app()
    body = submission().encode()
    counts = {"statements": 0, "commits": 0}
    sa.event.listen(runtime.storage.engine, "before_cursor_execute",
                    lambda *_a, **_k: counts.__setitem__("statements", counts["statements"] + 1))
    sa.event.listen(runtime.storage.engine, "commit",
                    lambda *_a: counts.__setitem__("commits", counts["commits"] + 1))
    run(intake, 100, 1, body), run(bare, 100, 1, body)  # warm-up
    group = getattr(runtime, "group_commit", None)  # None: a version before the group commit
    driver = hasattr(group, "before_commit")  # the group commit writes on the DB-API connection
    if driver:  # SQLAlchemy's events do not see those statements and commits: count them here
        group.before_commit.append(lambda: counts.__setitem__("commits", counts["commits"] + 1))
    for threads in (1, 4):
        counts.update(statements=0, commits=0)
        batches, submissions = (group.batches, group.submissions) if group else (0, 0)
        written = group.statements if driver else 0
        intake_ms = run(intake, n, threads, body)
        bare_ms = run(bare, n, threads, body)
        done = n // threads * threads
        if driver:
            counts["statements"] += group.statements - written
        per_batch = (f"; {(group.submissions - submissions) / max(group.batches - batches, 1):.2f} "
                     "submissions per batch") if group else ""
        print(f"{threads} thread(s): intake {intake_ms:.2f} ms CPU/request, bare {bare_ms:.2f}; "
              f"per submission {counts['statements'] / done:.2f} SQL statements, "
              f"{counts['commits'] / done:.2f} commits{per_batch}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
