"""A request an official recorded days after receiving it shows, on its public timeline, the day
it was received — the day routing counts its deadlines from — not only the day it was typed in;
a request filed by the person shows no such day. Through intake's web app, on SQLite."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from giaitrinh_common import auth
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import LOCALITY, migrated_runtime
from tests.support.signed_in import bearer, signing_keys

LETTER = {"kind": "feedback", "field": "environment", "locality_code": LOCALITY, "channel": "mail",
          "title": "Rác thải", "content": "Thư báo rác đổ trộm bên bờ sông Nhật Lệ."}


@pytest.fixture
def client(sqlite_url, tmp_path):
    private, public = signing_keys(tmp_path)
    runtime = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus(), GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    app_client = create_app(runtime).test_client()
    app_client.environ_base["HTTP_AUTHORIZATION"] = bearer(
        private, auth.OFFICIAL, (LOCALITY,), subject="acc-van-thu", name="Văn thư")["Authorization"]
    yield app_client
    runtime.close()


def test_the_public_timeline_shows_the_day_a_recorded_request_was_received(client):
    received = datetime.now(UTC).date() - timedelta(days=5)
    resp = client.post("/api/v1/recorded-requests", json={**LETTER, "received_on": received.isoformat()})
    assert resp.status_code == 201, resp.json
    code = resp.json["tracking_code"]
    assert client.get(f"/api/v1/requests/{code}").json["received_on"] == received.isoformat()
    page = client.get(f"/tra-cuu?ma={code}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Received on" in page.text
    # Both the fact and the "Request received" step carry the day received.
    assert len(re.findall(rf'<time[^>]*datetime="{received.isoformat()}"', page.text)) == 2


def test_a_request_recorded_without_a_day_received_shows_none(client):
    resp = client.post("/api/v1/recorded-requests", json=LETTER)
    assert client.get(f"/api/v1/requests/{resp.json['tracking_code']}").json["received_on"] is None
