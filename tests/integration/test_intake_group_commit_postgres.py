"""Intake's group commit on PostgreSQL (psycopg's parameter style, its types, its errors): what
the SQLite tests of tests/unit/test_intake_submit_path.py hold, on the production database."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.adapters.orm import requests, submission_details
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.service_layer import handlers
from tests.support.factories import LOCALITY, migrated_runtime

VALID = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY,
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}


@pytest.fixture
def runtime(postgres_url):
    rt = migrated_runtime("intake", postgres_url, InMemoryBus())
    yield rt
    rt.close()


def test_submissions_from_many_threads_are_each_stored_whole_with_their_event(runtime):
    app, receipts = create_app(runtime), []
    before = datetime.now(UTC)

    def submit_some(n: int) -> None:
        client = app.test_client()
        for i in range(n):
            resp = client.post("/api/v1/requests", json={**VALID, "title": f"Rác thải {n}-{i}",
                                                         "consent_to_publish": i % 2 == 0})
            receipts.append((resp.status_code, resp.json.get("tracking_code")))

    threads = [threading.Thread(target=submit_some, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in receipts] == [201] * 40
    codes = {code for _, code in receipts}
    with runtime.storage.engine.connect() as conn:
        rows = conn.execute(sa.select(requests.c.tracking_code, requests.c.submitted_at)).all()
        consents = conn.execute(sa.select(submission_details.c.consent_to_publish)).scalars().all()
        events = [json.loads(p) for p in conn.execute(sa.select(runtime.storage.outbox.c.payload)).scalars()]
    assert {code for code, _ in rows} == codes and len(rows) == 40
    assert all(before <= at <= datetime.now(UTC) for _, at in rows)  # a timestamp, with its zone
    assert sorted(consents) == [False] * 20 + [True] * 20
    assert sorted(e["data"]["tracking_code"] for e in events) == sorted(codes)


def test_a_tracking_code_already_given_is_refused_by_its_index_and_the_request_gets_another(
        runtime, monkeypatch):
    client = create_app(runtime).test_client()
    first = client.post("/api/v1/requests", json=VALID).json["tracking_code"]
    issued = iter([first, "GT-7K3M-9QXT-W"])  # the first code again, then one never given
    monkeypatch.setattr(handlers, "new_tracking_code", lambda: next(issued))
    resp = client.post("/api/v1/requests", json=VALID)
    assert resp.status_code == 201 and resp.json["tracking_code"] == "GT-7K3M-9QXT-W"
    with runtime.storage.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(requests)).scalar_one() == 2
    assert runtime.storage.outbox_backlog() == 2  # nothing half-written
