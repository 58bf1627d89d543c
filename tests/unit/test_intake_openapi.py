"""Intake's OpenAPI 3.1 document: served at /api/v1/openapi.json to anyone, valid OpenAPI 3.1,
and in step with the app — every /api/v1 route documented (the requester's and the search's
too), every documented operation a route; every POST takes an Idempotency-Key."""
import pytest

from giaitrinh_common.openapi import document_problems, load_document
from giaitrinh_intake.entrypoints.web import create_app
from tests.support.factories import migrated_runtime

INTAKE_DOCUMENT = ("giaitrinh_intake.entrypoints", "openapi.yaml")


@pytest.fixture
def app(bus, sqlite_url):
    runtime = migrated_runtime("intake", sqlite_url("intake"), bus)
    yield create_app(runtime)
    runtime.close()


def test_the_document_is_valid_openapi_3_1_and_matches_every_api_route(app):
    assert document_problems(app, load_document(*INTAKE_DOCUMENT)) == []


def test_the_document_is_served_as_json_to_anyone(app):
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    assert resp.get_json()["openapi"].startswith("3.1")
    assert resp.get_json()["paths"].keys() == load_document(*INTAKE_DOCUMENT)["paths"].keys()


def test_every_post_documents_the_idempotency_key(app):
    doc = load_document(*INTAKE_DOCUMENT)
    posts = {path: item["post"] for path, item in doc["paths"].items() if "post" in item}
    assert "/api/v1/requests" in posts and len(posts) >= 5
    for path, operation in posts.items():
        refs = [p.get("$ref", "") for p in operation.get("parameters", [])]
        assert "#/components/parameters/IdempotencyKey" in refs, path


def test_a_submission_the_document_allows_is_one_the_api_accepts(app):
    from jsonschema import Draft202012Validator

    doc = load_document(*INTAKE_DOCUMENT)
    body = {"kind": "feedback", "field": "environment", "locality_code": "18880", "title": "Rác",
            "content": "Rác đổ trộm", "latitude": 16.8, "longitude": 107.1, "consent_to_publish": True}
    Draft202012Validator(_resolved(doc["components"]["schemas"]["Submission"], doc)).validate(body)
    assert app.test_client().post("/api/v1/requests", json=body).status_code == 201


def _resolved(node, doc):
    """The schema with its local $refs put in place (the document's components)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolved(target, doc)
        return {k: _resolved(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(v, doc) for v in node]
    return node
