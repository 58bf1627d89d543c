"""Each service's OpenAPI 3.1 document: kept as YAML beside the service's entry points, served
as JSON at ``/api/v1/openapi.json``, and held to the app in the suite.

The document is written by hand (it is the public contract, worded for the people who call
the API), so two things could drift from the code: the document could stop being valid
OpenAPI, and the app's routes and the document's paths could part. :func:`document_problems`
finds both, and every service's test calls it::

    from giaitrinh_common.openapi import document_problems
    assert document_problems(app, load_document("giaitrinh_routing.entrypoints")) == []

Paths in the document are written in full (``/api/v1/cases/{case_id}``), each Flask rule's
``<converter:name>`` being ``{name}``; a rule is matched on its path and method (HEAD and
OPTIONS, which Flask adds by itself, are left out).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, Flask, jsonify

from giaitrinh_common.auth import PUBLIC, allow

DOCUMENT_PATH = "/api/v1/openapi.json"
API_PREFIX = "/api/v1"
_IMPLIED_METHODS = {"HEAD", "OPTIONS"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


@lru_cache(maxsize=8)
def _cached(package: str, resource: str) -> dict[str, Any]:
    text = resources.files(package).joinpath(resource).read_text("utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{package}/{resource} is not a YAML mapping")
    return doc


def load_document(package: str, resource: str = "openapi.yaml") -> dict[str, Any]:
    """The OpenAPI document ``resource`` kept in ``package`` (e.g.
    ``giaitrinh_routing.entrypoints``), parsed; read once per process."""
    return _cached(package, resource)


def openapi_blueprint(service: str, package: str, resource: str = "openapi.yaml") -> Blueprint:
    """A blueprint serving the document at ``/api/v1/openapi.json`` to anyone (it is public:
    it says what the API does, never what it holds). The YAML is read when the blueprint is
    made, in the app factory, so a broken document stops the app from starting."""
    document = load_document(package, resource)
    bp = Blueprint(f"{service}_openapi", __name__)

    @bp.get(DOCUMENT_PATH)
    @allow(PUBLIC)
    def openapi_document():
        """The service's OpenAPI 3.1 document."""
        return jsonify(document)

    return bp


def openapi_path(rule: str) -> str:
    """A Flask rule written as an OpenAPI path: ``/cases/<uuid:case_id>`` → ``/cases/{case_id}``."""
    return _VARIABLE.sub(lambda m: "{" + m.group(1) + "}", rule)


def app_operations(app: Flask, prefix: str = API_PREFIX) -> set[tuple[str, str]]:
    """(path, METHOD) of every route of ``app`` under ``prefix``, as the document writes them."""
    out: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule != prefix and not rule.rule.startswith(prefix + "/"):
            continue
        for method in (rule.methods or set()) - _IMPLIED_METHODS:
            out.add((openapi_path(rule.rule), method))
    return out


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, METHOD) of every operation the document describes."""
    out: set[tuple[str, str]] = set()
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            if isinstance(item, dict) and method in item:
                out.add((path, method.upper()))
    return out


def specification_problems(document: dict[str, Any]) -> list[str]:
    """What makes the document invalid OpenAPI 3.1 (empty when nothing); the validator is a
    test dependency, so it is imported here and never by a running service."""
    from openapi_spec_validator import OpenAPIV31SpecValidator

    if not str(document.get("openapi", "")).startswith("3.1"):
        return [f"openapi: {document.get('openapi')!r} is not a 3.1 document"]
    problems: list[str] = []
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            problems.append(f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}")
    except Exception as exc:  # the validator's semantic pass can trip over a malformed part
        problems.append(f"not a valid OpenAPI 3.1 document: {type(exc).__name__}: {exc}")
    return problems


def document_problems(app: Flask, document: dict[str, Any], prefix: str = API_PREFIX) -> list[str]:
    """Everything wrong between ``app`` and its document: not valid OpenAPI 3.1, a route under
    ``prefix`` the document does not describe, an operation the app does not have. Empty when
    the two agree."""
    problems = specification_problems(document)
    routes, documented = app_operations(app, prefix), documented_operations(document)
    problems += [f"undocumented route: {method} {path}" for path, method in sorted(routes - documented)]
    problems += [f"documented but not in the app: {method} {path}"
                 for path, method in sorted(documented - routes)]
    return problems
