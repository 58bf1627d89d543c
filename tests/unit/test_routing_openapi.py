"""Routing's OpenAPI 3.1 document: served at /api/v1/openapi.json, valid OpenAPI 3.1, and in
step with the app — every /api/v1 route documented, every documented operation a route."""
from __future__ import annotations

import copy
import re

import pytest
from flask import Flask

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.openapi import document_problems, load_document, openapi_path
from giaitrinh_routing.entrypoints.web import create_app
from tests.support.factories import migrated_runtime
from tests.support.signed_in import signing_keys

ROUTING_DOCUMENT = ("giaitrinh_routing.entrypoints", "openapi.yaml")


@pytest.fixture
def app(bus, sqlite_url, tmp_path):
    private, public = signing_keys(tmp_path)
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus,
                               ROUTING_AUTH_PRIVATE_KEY=str(private), GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    yield create_app(runtime)
    runtime.close()


def test_the_document_is_valid_openapi_3_1_and_matches_every_api_route(app):
    assert document_problems(app, load_document(*ROUTING_DOCUMENT)) == []


def test_the_document_is_served_as_json_to_anyone(app):
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    assert resp.get_json()["openapi"].startswith("3.1")
    assert resp.get_json()["paths"].keys() == load_document(*ROUTING_DOCUMENT)["paths"].keys()


def test_the_document_covers_auth_cases_each_action_commitments_and_the_registry(app):
    paths = load_document(*ROUTING_DOCUMENT)["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/cases", "/api/v1/cases/{case_id}",
                 "/api/v1/cases/{case_id}/accept", "/api/v1/cases/{case_id}/decide-dispute",
                 "/api/v1/commitments/{commitment_id}/complete", "/api/v1/localities/{locality_code}/units",
                 "/api/v1/localities/{locality_code}/rules/{field}", "/api/v1/localities/{locality_code}/enable",
                 "/api/v1/publishers"):
        assert path in paths, path


def test_a_route_missing_from_the_document_is_named(app):
    @allow(PUBLIC)
    def extra():
        return ""
    app.add_url_rule("/api/v1/extra/<int:n>", "extra", extra, methods=["POST"])
    assert "undocumented route: POST /api/v1/extra/{n}" in document_problems(app, load_document(*ROUTING_DOCUMENT))


def test_a_documented_operation_the_app_lacks_is_named(app):
    doc = copy.deepcopy(load_document(*ROUTING_DOCUMENT))
    doc["paths"]["/api/v1/cases"]["delete"] = {"responses": {"204": {"description": "gone"}}}
    assert document_problems(app, doc) == ["documented but not in the app: DELETE /api/v1/cases"]


def test_a_document_that_breaks_the_specification_is_refused():
    doc = copy.deepcopy(load_document(*ROUTING_DOCUMENT))
    doc["paths"]["/api/v1/auth/me"]["get"]["parameters"] = [{"name": "x"}]
    problems = document_problems(Flask(__name__), doc, prefix="/nothing")
    # The validator's wording quotes the name as its backend does ('in' or "in").
    assert any(re.search(r"""['"]in['"] is a required property""", p) for p in problems)


def test_flask_rules_are_written_as_openapi_paths():
    assert openapi_path("/api/v1/cases/<uuid:case_id>/<action>") == "/api/v1/cases/{case_id}/{action}"
    assert openapi_path("/api/v1/x/<any(a, b):kind>") == "/api/v1/x/{kind}"
