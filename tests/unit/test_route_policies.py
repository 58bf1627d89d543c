"""Tenancy by construction: every route of every service declares who may use it, a route
without a policy cannot even be registered, and each request is checked against its route's
policy by the shared plumbing (giaitrinh_common.auth) on any service."""
from __future__ import annotations

import pytest
from flask import Blueprint, jsonify

from giaitrinh_common import auth
from giaitrinh_common.auth import PUBLIC, MissingPolicy, allow, signed_in, unguarded_endpoints
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.services import SERVICES
from tests.support.factories import migrated_runtime
from tests.support.signed_in import signed_token, signing_keys


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies")
    runtimes = {name: migrated_runtime(name, f"sqlite:///{folder / name}.db", InMemoryBus()) for name in SERVICES}
    yield {name: SERVICES[name].create_app(rt) for name, rt in runtimes.items()}
    for runtime in runtimes.values():
        runtime.close()


def test_every_route_of_every_service_declares_who_may_use_it(apps):
    for name, app in apps.items():
        table = app.extensions[auth.POLICIES]
        assert unguarded_endpoints(app) == [], name
        for rule in app.url_map.iter_rules():
            assert isinstance(table[rule.endpoint], auth.Policy), (name, rule.rule)


def test_every_protected_route_refuses_a_request_without_a_token(apps):
    checked = 0
    for app in apps.values():
        client = app.test_client()
        for rule in app.url_map.iter_rules():
            if app.extensions[auth.POLICIES][rule.endpoint].public:
                continue
            path = rule.rule.replace("<case_id>", "c-1").replace("<code>", "18880")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                resp = client.open(path, method=method, json={})
                assert resp.status_code == 401, (rule.rule, method, resp.status_code)
                assert resp.json["error"]["code"] == "sign_in_required"
                checked += 1
    assert checked >= 15  # routing's case API and account routes at least


def test_a_route_without_a_policy_cannot_be_registered(apps, bus, sqlite_url):
    runtime = migrated_runtime("scoring", sqlite_url("scoring"), bus)
    try:
        loose = Blueprint("loose", __name__)

        @loose.get("/secret")
        def secret():
            return "no policy"

        with pytest.raises(MissingPolicy, match="loose.secret"):
            runtime.web_app(__name__, [loose])
        app = runtime.web_app(__name__)
        with pytest.raises(MissingPolicy, match="page"):  # added after creation, as pages are

            @app.get("/page")
            def page():
                return "no policy"
    finally:
        runtime.close()


@pytest.fixture
def signed(tmp_path):
    """A key pair and a function signing a principal's token with it."""
    private, public = signing_keys(tmp_path)

    def token(role: str, localities=(), now: int = 1_800_000_000) -> str:
        return signed_token(private, role, localities, issued_at=now)
    return public, token


def test_any_service_verifies_the_token_locally_by_role_and_locality(bus, sqlite_url, signed):
    """Scoring, which has no accounts, checks a role × locality policy with the public key."""
    public, token = signed
    runtime = migrated_runtime("scoring", sqlite_url("scoring"), bus, GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    runtime.clock = lambda: 1_800_000_010
    board = Blueprint("board", __name__)

    @board.get("/private/<code>")
    @allow(signed_in("locality_head", "supervisor", "provincial_admin", locality_arg="code"))
    def private(code: str):
        return jsonify(code=code, who=auth.current_principal().id)

    @board.get("/open")
    @allow(PUBLIC)
    def open_page():
        principal = auth.current_principal()
        return jsonify(who=principal.id if principal else None)

    try:
        client = runtime.web_app(__name__, [board]).test_client()

        def get(path, tok):
            return client.get(path, headers={"Authorization": f"Bearer {tok}"})

        assert get("/private/18880", token("supervisor", ["18880"])).status_code == 200
        hidden = get("/private/19000", token("supervisor", ["18880"]))
        assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"
        assert get("/private/19000", token("provincial_admin")).status_code == 200
        forbidden = get("/private/18880", token("official", ["18880"]))
        assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "role_forbidden"
        assert get("/open", token("official", ["18880"])).json["who"] == "u-1"
        runtime.clock = lambda: 1_800_000_060  # the token's minute is over
        assert get("/private/18880", token("supervisor", ["18880"])).status_code == 401
        assert get("/open", token("official", ["18880"])).json["who"] is None  # public stays open
    finally:
        runtime.close()


def test_a_service_without_the_public_key_serves_public_routes_and_503_on_protected_ones(bus, sqlite_url, signed,
                                                                                         tmp_path):
    _public, token = signed
    runtime = migrated_runtime("scoring", sqlite_url("scoring"), bus,
                               GIAITRINH_AUTH_PUBLIC_KEY=str(tmp_path / "missing.pem"))
    board = Blueprint("board", __name__)

    @board.get("/private")
    @allow(signed_in())
    def private():
        return "x"

    try:
        client = runtime.web_app(__name__, [board]).test_client()
        assert client.get("/healthz").status_code == 200
        resp = client.get("/private", headers={"Authorization": f"Bearer {token('official', ['1'])}"})
        assert resp.status_code == 503 and resp.json["error"]["code"] == "auth_unavailable"
    finally:
        runtime.close()


def test_the_token_role_names_are_routings_role_values():
    from giaitrinh_routing.domain.accounts import ACCOUNT_ROLES, PUBLISHER

    assert {r.value for r in ACCOUNT_ROLES} == auth.STAFF
    assert PUBLISHER == auth.PUBLISHER
