"""Intake's submit path made cheaper (bench/README.md, submit-ratio) without giving anything up:
the served localities read from a copy, the tracking code left to its unique index, one writer
at a time in the process — and still every accepted request stored with its event."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.adapters.group_commit import WriteOutsideTheGroupCommit
from giaitrinh_intake.adapters.localities import RegistryLocalities
from giaitrinh_intake.adapters.orm import requests
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.domain.model import TimelineEntry
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.service_layer import handlers
from giaitrinh_intake.service_layer.unit_of_work import IntakeUnitOfWork
from tests.support.factories import LOCALITY, migrated_runtime, served_province, teach_registry

VALID = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}
LOCALITY_CHANGED = "vn.giaitrinh.locality.changed.v1"


@pytest.fixture
def runtime(sqlite_url):
    # The group commit in this process: these tests hold its batches and look at its connection.
    # The writer process's own: test_intake_writer_process.py.
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus(), INTAKE_SQLITE_WRITER_PROCESS="false")
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


@pytest.fixture(params=["writer process", "web process"])
def either_runtime(request, sqlite_url):
    """A runtime whose submissions are written by the writer process (the default on SQLite),
    or by the group commit in this process: rules that hold for both."""
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus(),
                          INTAKE_SQLITE_WRITER_PROCESS=str(request.param == "writer process"))
    yield rt
    rt.close()


def locality_event(served: bool, at: datetime) -> CloudEvent:
    """The registry's ``locality.changed`` for :data:`LOCALITY`, served or not, at ``at``."""
    [base] = [e for e in served_province("44") if e.subject == LOCALITY]
    return CloudEvent.new(type=LOCALITY_CHANGED, source="/tests", subject=LOCALITY, locality=LOCALITY, time=at,
                          data={**base.data, "served": served, "changed_at": at.isoformat()})


def stored(runtime) -> tuple[int, int]:
    with runtime.storage.engine.connect() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one(),
                runtime.storage.outbox_backlog())


def test_a_tracking_code_already_given_is_refused_by_its_index_and_the_request_gets_another(
        either_runtime, monkeypatch):
    runtime, client = either_runtime, create_app(either_runtime).test_client()
    first = client.post("/api/v1/requests", json=VALID).json["tracking_code"]
    issued = iter([first, "GT-7K3M-9QXT-W"])  # the first code again, then one never given
    monkeypatch.setattr(handlers, "new_tracking_code", lambda: next(issued))
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201 and resp.json["tracking_code"] == "GT-7K3M-9QXT-W"
    assert stored(runtime) == (2, 2)  # both requests, each with its one event; nothing half-written


def test_a_locality_the_registry_stops_serving_is_refused_at_once_in_the_process_that_learnt_it(client, runtime):
    assert client.post("/api/v1/requests", json=VALID).status_code == 201  # the copy now holds it
    teach_registry(runtime, [locality_event(False, datetime(2026, 11, 20, tzinfo=UTC))])
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 422
    assert [d["field"] for d in resp.json["error"]["details"]] == ["locality_code"]


def test_another_process_sees_a_locality_disabled_within_the_cache_time_and_one_enabled_at_once(runtime):
    now = [0.0]
    web = RegistryLocalities(runtime.storage.engine, cache_seconds=5, clock=lambda: now[0])  # the web process
    assert web.get(LOCALITY) is not None
    teach_registry(runtime, [locality_event(False, datetime(2026, 11, 20, tzinfo=UTC))])  # the worker
    now[0] = 4.9
    assert web.get(LOCALITY) is not None  # its copy is trusted this long
    now[0] = 5.0
    assert web.get(LOCALITY) is None
    teach_registry(runtime, [locality_event(True, datetime(2026, 11, 21, tzinfo=UTC))])
    assert web.get(LOCALITY) is not None  # not in the copy: looked up, so served at once


def test_submissions_from_many_threads_are_each_stored_with_their_event(runtime):
    app, answers = create_app(runtime), []

    def submit_some():
        client = app.test_client()
        answers.extend(client.post("/api/v1/requests", json=VALID).status_code for _ in range(8))

    threads = [threading.Thread(target=submit_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [201] * 32
    assert stored(runtime) == (32, 32)


def outbox_row(event_id: str) -> dict:
    """An outbox row of a made-up event ``event_id``, written straight through the group commit."""
    return {"event_id": event_id, "topic": "t", "key": "k", "type": "x", "payload": "{}",
            "created_at": datetime(2026, 11, 29, tzinfo=UTC)}


def held_first_commit(runtime):
    """Hold the group commit's next batch (just before its COMMIT) until released:
    (entered, release) events."""
    entered, release, first = threading.Event(), threading.Event(), [True]

    def _hold():
        if first[0]:
            first[0] = False
            entered.set()
            assert release.wait(30)
    runtime.group_commit.before_commit.append(_hold)
    return entered, release


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def test_submissions_that_arrive_while_one_is_written_share_the_next_commit_and_each_returns_only_once_committed(
        runtime):
    group = runtime.group_commit
    entered, release = held_first_commit(runtime)
    commits = []
    group.before_commit.append(lambda: commits.append(1))
    seen_committed = []

    def submit(title: str) -> None:
        receipt = runtime.submit(SubmitRequest(**{**VALID, "title": title}, channel="api"))
        with runtime.storage.engine.connect() as conn:  # another connection: only committed rows
            seen_committed.append(conn.execute(sa.select(sa.func.count()).select_from(requests).where(
                requests.c.tracking_code == receipt.tracking_code)).scalar_one())

    first = threading.Thread(target=submit, args=("Thứ nhất",))
    first.start()
    assert entered.wait(30)  # the first submission's batch is being committed
    others = [threading.Thread(target=submit, args=(title,)) for title in ("Thứ hai", "Thứ ba")]
    for thread in others:
        thread.start()
    wait_for(lambda: len(group._queue) == 2)  # both queued behind the commit in progress
    assert seen_committed == []  # nobody answered yet
    release.set()
    for thread in (first, *others):
        thread.join(timeout=30)
    assert seen_committed == [1, 1, 1]  # each found its request committed when it returned
    assert len(commits) == 2 and (group.batches, group.submissions) == (2, 3)  # the second and third: one commit
    assert stored(runtime) == (3, 3)


def test_a_submission_that_fails_in_a_shared_batch_fails_alone_and_the_others_are_committed(runtime):
    group, outbox = runtime.group_commit, runtime.storage.outbox
    insert = group.insert(outbox)

    group.commit([(insert, outbox_row("taken"))])
    entered, release = held_first_commit(runtime)
    outcomes: dict[str, str] = {}

    def commit(event_id: str) -> None:
        try:
            group.commit([(insert, outbox_row(event_id))])
            outcomes[event_id] = "committed"
        except IntegrityError:
            outcomes[event_id] = "refused"

    threads = [threading.Thread(target=commit, args=("first",))]
    threads[0].start()
    assert entered.wait(30)
    threads += [threading.Thread(target=commit, args=(event_id,)) for event_id in ("taken", "third")]
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: len(group._queue) == 2)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == {"first": "committed", "taken": "refused", "third": "committed"}
    with runtime.storage.engine.connect() as conn:
        assert sorted(conn.execute(sa.select(outbox.c.event_id)).scalars()) == ["first", "taken", "third"]


def test_a_unit_of_work_that_collects_for_the_group_commit_refuses_to_write_anything_else(runtime):
    step = TimelineEntry(datetime(2026, 11, 28, tzinfo=UTC), "note", "Ghi chú", "Note")
    with IntakeUnitOfWork(runtime.storage, runtime.group_commit) as uow, pytest.raises(WriteOutsideTheGroupCommit):
        uow.requests.append_step("some-request", step)  # would be rolled back unseen: refused at once


def pool_traffic(runtime) -> dict[str, int]:
    """How often the engine's pool hands out and takes back a connection, from now on."""
    counts = {"checkout": 0, "checkin": 0}
    for name in counts:
        sa.event.listen(runtime.storage.engine, name,
                        lambda *_a, _name=name: counts.__setitem__(_name, counts[_name] + 1))
    return counts


def test_the_group_commit_writes_batch_after_batch_on_one_connection_kept_from_the_pool(runtime):
    group = runtime.group_commit
    insert = group.insert(runtime.storage.outbox)
    traffic = pool_traffic(runtime)
    for n in range(5):
        group.commit([(insert, outbox_row(f"e{n}"))])
    assert traffic == {"checkout": 1, "checkin": 0}  # taken once, not reset and returned per batch
    runtime.close()  # given back before the engine goes
    assert traffic == {"checkout": 1, "checkin": 1}


def test_after_a_refused_batch_the_connection_goes_back_to_the_pool_and_the_next_batch_takes_a_fresh_one(runtime):
    group = runtime.group_commit
    insert = group.insert(runtime.storage.outbox)
    group.commit([(insert, outbox_row("taken"))])
    traffic = pool_traffic(runtime)
    with pytest.raises(IntegrityError):
        group.commit([(insert, outbox_row("taken"))])
    assert traffic == {"checkout": 0, "checkin": 1}  # rolled back and returned
    group.commit([(insert, outbox_row("next"))])
    assert traffic == {"checkout": 1, "checkin": 1}
    with runtime.storage.engine.connect() as conn:
        assert sorted(conn.execute(sa.select(runtime.storage.outbox.c.event_id)).scalars()) == ["next", "taken"]


def test_a_kept_connection_the_database_dropped_while_idle_costs_no_submission(runtime, client):
    assert client.post("/api/v1/requests", json=VALID).status_code == 201
    runtime.group_commit._connection.dbapi_connection.close()  # as a server restart or idle timeout would
    resp = client.post("/api/v1/requests", json={**VALID, "title": "Sau khi mất kết nối"})
    assert resp.status_code == 201, resp.json  # written once more on a fresh connection
    assert stored(runtime) == (2, 2)



def test_a_request_from_another_system_given_twice_is_answered_with_the_first_and_nothing_is_written_again(
        either_runtime):
    runtime = either_runtime
    inbound = SubmitRequest(**VALID, channel="api", source_system="hotline-1022", external_id="HL-7")
    first, again = runtime.submit(inbound), runtime.submit(inbound)
    assert (again.request_id, again.tracking_code, again.duplicate) == (first.request_id, first.tracking_code, True)
    assert stored(runtime) == (1, 1)


def test_a_new_submission_makes_no_database_session_its_rows_go_to_the_group_commit(client, runtime, monkeypatch):
    client.post("/api/v1/requests", json=VALID)  # the served localities' copy is read once

    def refuse():
        raise AssertionError("a session was made for a new submission")
    monkeypatch.setattr(runtime.storage, "sessions", refuse)
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201
    assert stored(runtime) == (2, 2)  # stored with its event all the same


def test_a_unit_of_work_makes_its_session_on_first_use_and_closes_it_on_leaving(runtime):
    made = []
    sessions = runtime.storage.sessions
    runtime.storage.sessions = lambda: made.append(sessions()) or made[-1]
    uow = IntakeUnitOfWork(runtime.storage)
    with uow:
        assert made == []  # entering reads nothing
        assert uow.requests.by_tracking_code("GT-7K3M-9QXT-W") is None
        assert uow.session is made[0] and uow.open_session() is made[0]  # one session, kept
        assert made[0].in_transaction()
    assert len(made) == 1 and uow.session is None and not made[0].in_transaction()  # rolled back, closed
    with pytest.raises(RuntimeError, match="outside"):
        uow.open_session()
