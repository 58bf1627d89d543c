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


INBOUND_PUBLISHER = "hotline-1022"  # the system inbound_feedback() comes from
INBOUND_PUBLISHER_KEY = "gt_test-hotline-key-not-a-secret"


def served_province(province_code: str = "44", at: datetime | None = None) -> list[CloudEvent]:
    """The ``locality.changed`` events routing publishes when it seeds a province: every
    commune and ward served, with the default units and the fields each handles."""
    from giaitrinh_routing.adapters import events_out
    from giaitrinh_routing.adapters.reference_data import wards_of
    from giaitrinh_routing.domain.registry import DEFAULT_RULES, RoutingRule, default_units

    at = at or datetime(2026, 11, 1, tzinfo=UTC)
    return [events_out.locality_changed(
        w, default_units(w.code), {f: RoutingRule(w.code, f, u) for f, u in DEFAULT_RULES.items()}, at)
        for w in wards_of(province_code)]


def publisher_changed(name: str = INBOUND_PUBLISHER, api_key: str = INBOUND_PUBLISHER_KEY,
                      localities: frozenset[str] | None = None, active: bool = True,
                      at: datetime | None = None, publisher_id: str | None = None) -> CloudEvent:
    """The ``publisher.changed`` routing publishes for a system (its key's SHA-256 only)."""
    import hashlib
    from types import SimpleNamespace

    from giaitrinh_routing.adapters import events_out

    key = SimpleNamespace(id=publisher_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), name=name,
                          key_digest=hashlib.sha256(api_key.encode()).hexdigest(),
                          localities=localities or frozenset({LOCALITY}), disabled=not active)
    return events_out.publisher_changed(key, at or datetime(2026, 11, 1, tzinfo=UTC))


def serve_in_routing(runtime, *codes: str) -> None:
    """Register and serve these communes/wards (default: :data:`LOCALITY`) in routing's
    registry, as ``giaitrinh up`` seeding does: routing opens cases only for served ones."""
    from giaitrinh_routing.adapters.reference_data import official_locality
    from giaitrinh_routing.service_layer.handlers import seed_localities

    with runtime.unit_of_work() as uow:
        seed_localities(uow, [official_locality(code) for code in codes or (LOCALITY,)], now=runtime.now())
        uow.commit()


def teach_registry(runtime, events: list[CloudEvent]) -> None:
    """Apply registry events through the runtime's own handlers, in one transaction, as its
    worker would."""
    handlers = runtime.handlers()
    with runtime.unit_of_work() as uow:
        for event in events:
            handlers[event.type](event, uow)
        uow.commit()


def migrated_runtime(service: str, database_url: str, bus, *, learn_registry: bool = True, **settings_env):
    """A service runtime on ``database_url`` (migrated to head) and ``bus``. Intake starts
    having learnt what routing's registry publishes after ``giaitrinh up`` seeds province 44
    (every commune and ward served) and the publisher of :func:`inbound_feedback` for
    :data:`LOCALITY` — unless ``learn_registry`` is False."""
    spec = SERVICES[service]
    migrations.upgrade(spec.package, database_url)
    env = {f"{spec.env_prefix}_DATABASE_URL": database_url, "GIAITRINH_RETRY_BACKOFF": "0.05",
           **settings_env}
    runtime = spec.bootstrap(settings=spec.settings(env), bus=bus)
    if service == "intake" and learn_registry:
        teach_registry(runtime, [*served_province("44"), publisher_changed()])
    return runtime


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite file per call: ``sqlite_url("intake")``."""
    return lambda name="db": f"sqlite:///{tmp_path / name}.db"
