"""The gateway's configuration and settings, and what a service makes of the headers the gateway
sends. nginx itself runs in tests/integration/test_gateway_nginx.py and tests/e2e/test_gateway.py."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from flask import request, url_for
from werkzeug.urls import iri_to_uri

from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.settings import SettingError
from giaitrinh_common.web import standard_error_document
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.cli import main
from giaitrinh_platform.gateway import (
    GATEWAY_TEMPLATE,
    LOCAL_TEMPLATE,
    STATIC_ROOT,
    GatewayError,
    GatewaySettings,
    LocalGateway,
    render,
)
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform
from tests.support.factories import migrated_runtime

TEMPLATE = GATEWAY_TEMPLATE.read_text("utf-8")
UPSTREAMS = {name: f"127.0.0.1:{18001 + i}" for i, name in enumerate(SERVICES)}
VALID = {"kind": "feedback", "field": "environment", "locality_code": "18880",
         "title": "Rác thải", "content": "Rác đổ trộm bên bờ sông Nhật Lệ."}


def names_in(text: str) -> set[str]:
    return set(re.findall(r"\$\{?(GATEWAY_[A-Z0-9_]+)", text))


def nginx_string(quoted: str) -> str:
    """The text of a single-quoted nginx string (backslash escapes undone)."""
    return re.sub(r"\\(.)", r"\1", quoted)


# -- settings ------------------------------------------------------------------------------------
def test_without_settings_the_gateway_is_on_8000_without_hsts_and_allows_60_posts_a_minute():
    settings = GatewaySettings.from_env({})
    assert (settings.port, settings.hsts_max_age, settings.post_rate, settings.post_burst) == (8000, 0, 60, 20)
    assert settings.retry_after == 1


def test_the_gateway_settings_come_from_the_environment():
    settings = GatewaySettings.from_env({"GIAITRINH_GATEWAY_PORT": "8080", "GIAITRINH_GATEWAY_HSTS_MAX_AGE": "31536000",
                                         "GIAITRINH_GATEWAY_POST_RATE": "7", "GIAITRINH_GATEWAY_POST_BURST": "3"})
    assert (settings.port, settings.hsts_max_age, settings.post_rate, settings.post_burst) == (8080, 31536000, 7, 3)
    assert settings.retry_after == 9  # 60 / 7, rounded up: a client told to wait never comes too early


@pytest.mark.parametrize("name, value", [("PORT", "0"), ("PORT", "70000"), ("PORT", "eighty"),
                                         ("POST_RATE", "0"), ("HSTS_MAX_AGE", "-1"), ("POST_BURST", "-5")])
def test_a_gateway_setting_out_of_range_is_refused_by_name(name, value):
    with pytest.raises(SettingError, match=f"GIAITRINH_GATEWAY_{name}"):
        GatewaySettings.from_env({f"GIAITRINH_GATEWAY_{name}": value})


def test_up_help_names_the_gateway_and_its_settings():
    text = " ".join(CliRunner().invoke(main, ["up", "--help"]).output.split())
    for name in ("GIAITRINH_GATEWAY_PORT", "GIAITRINH_GATEWAY_POST_RATE", "GIAITRINH_GATEWAY_POST_BURST",
                 "GIAITRINH_GATEWAY_HSTS_MAX_AGE", "deploy/nginx/giaitrinh.conf.template"):
        assert name in text


# -- rendering -----------------------------------------------------------------------------------
def test_the_local_rendering_gives_every_name_of_both_templates_a_value(tmp_path):
    gateway = LocalGateway(GatewaySettings(), tmp_path, UPSTREAMS)
    gateway.write_config()
    for path in (gateway.config_path, gateway.config_path.parent / "giaitrinh.conf"):
        text = path.read_text("utf-8")
        assert not names_in(text), path
    site = (gateway.config_path.parent / "giaitrinh.conf").read_text("utf-8")
    assert "listen 127.0.0.1:8000 default_server;" in site
    assert "upstream giaitrinh_routing { server 127.0.0.1:18002;" in site
    assert f"alias {STATIC_ROOT}/;" in site
    assert f"include {gateway.config_path.parent / 'giaitrinh.conf'};" in gateway.config_path.read_text("utf-8")


def test_a_name_without_a_value_stops_the_rendering_and_is_named():
    values = GatewaySettings().template_values(listen="8000", upstreams=UPSTREAMS, static_root=STATIC_ROOT,
                                               access_log="/dev/stdout")
    del values["GATEWAY_POST_BURST"]
    with pytest.raises(GatewayError, match="GATEWAY_POST_BURST"):
        render(TEMPLATE, values)


def test_rendering_replaces_a_name_with_or_without_braces_as_envsubst_does_and_leaves_nginx_variables():
    assert render("a ${GATEWAY_X} $GATEWAY_X $remote_addr ${request_id}", {"GATEWAY_X": "1"}) == (
        "a 1 1 $remote_addr ${request_id}")


def test_the_local_wrapper_runs_nginx_in_the_foreground_with_its_files_in_the_data_dir(tmp_path):
    gateway = LocalGateway(GatewaySettings(port=8123), tmp_path, UPSTREAMS)
    text = gateway.write_config().read_text("utf-8")
    assert "daemon off;" in text
    assert f"pid {tmp_path / 'run' / 'gateway' / 'nginx.pid'};" in text
    assert f"client_body_temp_path {tmp_path / 'run' / 'gateway' / 'temp'}/client_body;" in text
    assert names_in(LOCAL_TEMPLATE.read_text("utf-8")) == {
        "GATEWAY_USER", "GATEWAY_PID", "GATEWAY_ERROR_LOG", "GATEWAY_TEMP", "GATEWAY_SITE"}


# -- the gateway's own answers ---------------------------------------------------------------------
def test_every_error_the_gateway_makes_itself_is_the_platforms_bilingual_body():
    pages = dict(re.findall(r"error_page ([\d ]+?) (?:=\d+ )?(/gateway/errors/\d+);", TEMPLATE))
    assert {s for statuses in pages for s in statuses.split()} >= {"400", "404", "413", "414", "429", "494", "502"}
    bodies = dict(re.findall(r"location = (/gateway/errors/\d+) \{\s*internal;\s*default_type application/json;"
                             r"\s*return \d+ '((?:[^'\\]|\\.)*)';", TEMPLATE))
    assert set(pages.values()) == set(bodies)
    for uri, body in bodies.items():
        status = int(uri.rsplit("/", 1)[1])
        # the platform's own table (giaitrinh_common/web.py), word for word
        assert nginx_string(body) == json.dumps(standard_error_document(status), ensure_ascii=False,
                                                separators=(",", ":")), uri


def test_every_header_the_gateway_adds_is_added_at_the_server_level_only():
    # nginx drops the server's add_header lines in any location that has one of its own.
    server = TEMPLATE[TEMPLATE.index("server {"):]
    starts = [m.end() for m in re.finditer(r"^\s*location [^\n{]*\{", server, re.M)]
    assert len(starts) == server.count("\n    location ") > 20
    for start in starts:
        depth, end = 1, start
        while depth:  # the JSON bodies inside are balanced too
            depth += {"{": 1, "}": -1}.get(server[end], 0)
            end += 1
        assert "add_header" not in server[start:end], server[start - 40:end]
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                 "Strict-Transport-Security", "X-Trace-Id", "Retry-After"):
        assert re.search(rf"^    add_header {name} .* always;$", server, re.M), name


# -- a service behind the gateway --------------------------------------------------------------------
@pytest.fixture
def intake_app(sqlite_url):
    runtime = migrated_runtime("intake", sqlite_url("intake"), InMemoryBus())
    app = create_app(runtime)
    probe = allow(PUBLIC)(lambda: {"url": request.url, "client": request.remote_addr})
    app.add_url_rule("/probe", "probe", probe)
    yield app
    runtime.close()


def test_behind_the_gateway_intake_builds_its_addresses_under_the_gateways_prefix(intake_app):
    client = intake_app.test_client()
    resp = client.post("/api/v1/requests", json=VALID, headers={"X-Forwarded-Prefix": "/intake"})
    code = resp.json["tracking_code"]
    assert resp.headers["Location"] == resp.json["status_url"] == f"/intake/api/v1/requests/{code}"
    # reached on its own port, no prefix: its own addresses, unchanged
    direct = client.post("/api/v1/requests", json=VALID)
    assert direct.headers["Location"] == f"/api/v1/requests/{direct.json['tracking_code']}"



def test_the_submit_answers_address_is_the_one_the_url_map_builds_for_the_lookup(intake_app):
    """The submit view puts the address together without the URL map (bench/README.md): it must
    stay the lookup route's, under the gateway's prefix or without one."""
    built = allow(PUBLIC)(lambda code: {"url": url_for("intake_api.lookup", tracking_code=code)})
    intake_app.add_url_rule("/address-of/<code>", "address_of", built)
    client = intake_app.test_client()
    for headers in ({}, {"X-Forwarded-Prefix": "/intake"}, {"X-Forwarded-Prefix": "/cong thu"}):
        resp = client.post("/api/v1/requests", json=VALID, headers=headers)
        assert resp.status_code == 201 and resp.mimetype == "application/json"
        code = resp.json["tracking_code"]
        expected = client.get(f"/address-of/{code}", headers=headers).json["url"]
        assert resp.json["status_url"] == expected
        assert resp.headers["Location"] == iri_to_uri(expected)  # as werkzeug sends any Location

def test_behind_the_gateway_a_service_believes_one_hop_of_client_scheme_and_host(intake_app):
    resp = intake_app.test_client().get("/probe", headers={
        "X-Forwarded-For": "198.51.100.7, 10.0.0.2", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "giaitrinh.quangtri.gov.vn", "X-Forwarded-Prefix": "/intake"})
    # the last address is the one the gateway saw; the earlier ones anyone could have written
    assert resp.json == {"url": "https://giaitrinh.quangtri.gov.vn/intake/probe", "client": "10.0.0.2"}


# -- the platform ---------------------------------------------------------------------------------
def test_the_platform_puts_the_gateway_in_front_of_the_web_ports_it_gives_the_services(tmp_path):
    p = Platform(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1",
                 base_env={"GIAITRINH_GATEWAY_PORT": "18000", "ROUTING_WEB_PORT": "18102"})
    assert p.gateway.url == "http://127.0.0.1:18000"
    assert p.gateway.upstreams["routing"] == "127.0.0.1:18102"
    assert p.gateway.upstreams["intake"] == f"127.0.0.1:{p.web_ports['intake']}"
    # the portal's public address is the gateway's
    assert p.service_env("intake")["INTAKE_PUBLIC_BASE_URL"] == "http://127.0.0.1:18000"


def test_pages_may_load_images_from_intakes_map_tile_server_and_from_nowhere_else_without_one(tmp_path):
    with_map = GatewaySettings.from_env({"INTAKE_MAP_TILES": "https://tiles.example.vn:8443/{z}/{x}/{y}.png"})
    assert with_map.map_origin == "https://tiles.example.vn:8443"
    for settings, origin in ((with_map, "https://tiles.example.vn:8443"), (GatewaySettings(), "")):
        gateway = LocalGateway(settings, tmp_path / str(bool(origin)), UPSTREAMS)
        gateway.write_config()
        site = (gateway.config_path.parent / "giaitrinh.conf").read_text("utf-8")
        # nginx's map picks "'self' data:" for "" and adds the origin otherwise (the e2e tier
        # reads the header nginx sends).
        assert f'map "{origin}" $gateway_img_src' in site and "img-src $gateway_img_src;" in site


def test_a_map_tile_server_the_form_could_not_use_stops_the_gateway_too():
    with pytest.raises(SettingError, match="INTAKE_MAP_TILES must contain"):
        GatewaySettings.from_env({"INTAKE_MAP_TILES": "https://tiles.example.vn/tile.png"})
