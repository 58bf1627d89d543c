"""Test data and small builders shared by the tiers: valid events of each type, service
runtimes on a given database and bus, migrated."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from giaitrinh_common import migrations
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_platform.services import SERVICES

LOCALITY = "18880"  # Phường Đồng Hới, Quảng Trị


def request_submitted(request_id: str | None = None, **data) -> CloudEvent:
    request_id = request_id or str(uuid.uuid4())
    body = {
        "request_id": request_id, "tracking_code": "GT-7X9V-FH1S-T", "kind": "feedback",
        "channel": "api", "field": "land", "locality_code": LOCALITY, "province_code": "44",
        "title": "Đèn đường hỏng", "content": "Đèn đường trước nhà số 5 hỏng đã hai tuần.",
        "requester_type": "citizen", "submitted_at": "2026-11-23T08:00:00+00:00",
        **data,
    }
    return CloudEvent.new(type="vn.giaitrinh.request.submitted.v1", source="/tests",
                          subject=request_id, locality=body["locality_code"], data=body,
                          time=datetime(2026, 11, 23, 8, tzinfo=UTC))


def inbound_feedback(external_id: str = "HL-1", **data) -> CloudEvent:
    body = {"source_system": "hotline-1022", "external_id": external_id, "kind": "feedback",
            "channel": "hotline", "field": "environment", "locality_code": LOCALITY,
            "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông.",
            "received_at": "2026-11-23T08:00:00+00:00", **data}
    return CloudEvent.new(type="vn.giaitrinh.inbound.feedback.v1", source="/hotline",
                          subject=external_id, locality=LOCALITY, data=body,
                          time=datetime(2026, 11, 23, 8, tzinfo=UTC))


def case_registered(request_id: str, **data) -> CloudEvent:
    body = {"case_id": str(uuid.uuid4()), "request_id": request_id,
            "tracking_code": "GT-7X9V-FH1S-T", "kind": "feedback", "field": "land",
            "locality_code": LOCALITY, "state": "received",
            "registered_at": "2026-11-23T08:05:00+00:00", **data}
    return CloudEvent.new(type="vn.giaitrinh.case.registered.v1", source="/tests",
                          subject=request_id, locality=LOCALITY, data=body,
                          time=datetime(2026, 11, 23, 8, 5, tzinfo=UTC))


def migrated_runtime(service: str, database_url: str, bus, **settings_env):
    """A service runtime on ``database_url`` (migrated to head) and ``bus``."""
    spec = SERVICES[service]
    migrations.upgrade(spec.package, database_url)
    env = {f"{spec.env_prefix}_DATABASE_URL": database_url, "GIAITRINH_RETRY_BACKOFF": "0.05",
           **settings_env}
    return spec.bootstrap(settings=spec.settings(env), bus=bus)


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite file per call: ``sqlite_url("intake")``."""
    return lambda name="db": f"sqlite:///{tmp_path / name}.db"
