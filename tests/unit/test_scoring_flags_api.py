"""Scoring's violation flags over HTTP (``GET /api/v1/flags``): the supervisors of a locality
(HĐND, MTTQ, UBKT) read its flags, newest first, a page at a time; the provincial admin reads
every locality's; another locality's answer 404; other roles are refused; a bad filter is a
400 naming its parameter; the OpenAPI document describes every route of the app."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.openapi import document_problems, load_document
from giaitrinh_routing.domain.deadline_watch import AlertKind
from giaitrinh_scoring.entrypoints.web import create_app
from tests.support import violations
from tests.support.case_history import CaseHistory
from tests.support.factories import LOCALITY, migrated_runtime
from tests.support.signed_in import bearer, signing_keys

NOW = 1_800_000_000
OTHER = "18881"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module: every test only reads."""
    tmp_path = tmp_path_factory.mktemp("scoring-api")
    private, public = signing_keys(tmp_path)
    runtime = migrated_runtime("scoring", f"sqlite:///{tmp_path}/scoring.db", InMemoryBus(),
                               GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    runtime.clock = lambda: NOW + 10
    # Three late cases here (a day apart), one in another ward: the handlers apply each alert.
    handlers = runtime.handlers()
    histories = [CaseHistory() for _ in range(3)] + [CaseHistory(locality=OTHER)]
    with runtime.unit_of_work() as uow:
        for n, history in enumerate(histories):
            alert = violations.overdue_alert(history, AlertKind.OVERDUE)
            alert = dataclasses.replace(alert, time=alert.time + timedelta(days=n))
            handlers[alert.type](alert, uow)
        uow.commit()
    client = create_app(runtime).test_client()

    def get(path: str, role: str | None = None, localities=(LOCALITY,)):
        headers = {} if role is None else bearer(private, role, localities, issued_at=NOW,
                                                 body="hdnd" if role == "supervisor" else None)
        return client.get(path, headers=headers)

    yield get, histories, client.application
    runtime.close()


def test_a_supervisor_reads_the_flags_of_their_locality_newest_first_a_page_at_a_time(app):
    get, histories, _ = app
    first = get("/api/v1/flags?per_page=2", "supervisor")
    assert first.status_code == 200 and (first.json["total"], first.json["page"], first.json["per_page"]) == (3, 1, 2)
    second = get("/api/v1/flags?per_page=2&page=2", "supervisor")
    cases = [f["case_id"] for f in first.json["items"] + second.json["items"]]
    assert cases == [h.case.id for h in reversed(histories[:3])]  # the latest raised first
    flag = first.json["items"][0]
    assert flag["kind"] == "late_handling" and flag["locality_code"] == LOCALITY
    assert flag["raised_by"]["event_type"] == "vn.giaitrinh.case.deadline_alert.v1"
    by_kind = get(f"/api/v1/flags?kind=dispute_upheld&locality_code={LOCALITY}", "supervisor")
    assert by_kind.status_code == 200 and by_kind.json["total"] == 0


def test_another_localitys_flags_answer_404_and_are_never_listed(app):
    get, histories, _ = app
    hidden = get(f"/api/v1/flags?locality_code={OTHER}", "supervisor")
    assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"
    assert histories[3].case.id not in {f["case_id"] for f in get("/api/v1/flags", "supervisor").json["items"]}


def test_the_provincial_admin_reads_every_localitys_flags(app):
    get, _, _ = app
    assert get("/api/v1/flags", "provincial_admin", localities=()).json["total"] == 4
    assert get(f"/api/v1/flags?locality_code={OTHER}", "provincial_admin", localities=()).json["total"] == 1


def test_an_official_is_refused_and_without_a_token_one_must_sign_in(app):
    get, _, _ = app
    refused = get("/api/v1/flags", "official")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "role_forbidden"
    unsigned = get("/api/v1/flags")
    assert unsigned.status_code == 401 and unsigned.json["error"]["code"] == "sign_in_required"


@pytest.mark.parametrize(("query", "parameter"), [
    ("kind=late", "kind"), ("locality_code=quang-tri", "locality_code"), ("locality_code=1234567", "locality_code"),
    ("per_page=0", "per_page"), ("page=x", "page")])
def test_a_bad_filter_is_refused_naming_the_parameter(app, query, parameter):
    get, _, _ = app
    resp = get(f"/api/v1/flags?{query}", "supervisor")
    assert resp.status_code == 400
    assert [d["field"] for d in resp.json["error"]["details"]] == [parameter]
    assert resp.json["error"]["message"]["vi"] and resp.json["error"]["message"]["en"]


def test_the_openapi_document_describes_every_route_of_scoring(app):
    get, _, flask_app = app
    served = get("/api/v1/openapi.json")
    assert served.status_code == 200 and "/api/v1/flags" in served.json["paths"]
    assert document_problems(flask_app, load_document("giaitrinh_scoring.entrypoints")) == []
