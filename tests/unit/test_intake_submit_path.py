"""Intake's submit path made cheaper (bench/README.md, submit-ratio) without giving anything up:
the served localities read from a copy, the tracking code left to its unique index, one writer
at a time in the process — and still every accepted request stored with its event."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.adapters.localities import RegistryLocalities
from giaitrinh_intake.adapters.orm import requests
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.service_layer import handlers
from tests.support.factories import LOCALITY, migrated_runtime, served_province, teach_registry

VALID = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}
LOCALITY_CHANGED = "vn.giaitrinh.locality.changed.v1"


@pytest.fixture
def runtime(sqlite_url):
    rt = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    return create_app(runtime).test_client()


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
        client, runtime, monkeypatch):
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
