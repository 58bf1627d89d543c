"""Debian's nginx on the one gateway file (deploy/nginx/giaitrinh.conf.template): `nginx -t` on the
rendering `giaitrinh up` makes and on the one docker-compose.yml's gateway makes, and the gateway as a
supervised child. The gateway in front of the running platform is tested in tests/e2e/test_gateway.py."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from giaitrinh_platform.gateway import (
    GATEWAY_TEMPLATE,
    LOCAL_TEMPLATE,
    GatewaySettings,
    LocalGateway,
    find_nginx,
    render,
)
from giaitrinh_platform.kafka_broker import free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import GatewayProcess
from tests.support.fixtures import PROJECT_ROOT
from tests.support.waiting import eventually

UPSTREAMS = {name: f"127.0.0.1:{8001 + i}" for i, name in enumerate(SERVICES)}


def nginx_t(config: Path, prefix: Path) -> subprocess.CompletedProcess:
    return subprocess.run([find_nginx(), "-t", "-p", str(prefix), "-e", "stderr", "-c", str(config)],
                          capture_output=True, text=True, timeout=30, check=False)


def test_nginx_accepts_the_configuration_giaitrinh_up_renders(tmp_path):
    gateway = LocalGateway(GatewaySettings.from_env({}), tmp_path, UPSTREAMS)
    result = nginx_t(gateway.write_config(), tmp_path / "run" / "gateway")
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr


def test_nginx_accepts_the_configuration_the_compose_gateway_renders(tmp_path):
    """The compose service's own GATEWAY_* values, in the image's place (conf.d/default.conf
    inside http). Its upstream names exist only in the compose network, where Docker's DNS
    answers them; here they are pointed at this machine so that nginx can resolve them."""
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text("utf-8"))
    env = {key: str(value) for key, value in compose["services"]["gateway"]["environment"].items()
           if key.startswith("GATEWAY_")}
    env["GATEWAY_HSTS_MAX_AGE"] = "0"  # ${GIAITRINH_GATEWAY_HSTS_MAX_AGE:-0}, as compose reads it
    env["GATEWAY_MAP_ORIGIN"] = ""  # ${INTAKE_MAP_ORIGIN:-}: no map unless the operator sets one
    env["GATEWAY_LISTEN"] = f"127.0.0.1:{free_port()}"  # 8000 may be taken on this machine
    for name in SERVICES:
        host, port = env[f"GATEWAY_{name.upper()}"].split(":")
        assert host == f"{name}-web"
        env[f"GATEWAY_{name.upper()}"] = f"127.0.0.1:{port}"
    site = tmp_path / "default.conf"
    site.write_text(render(GATEWAY_TEMPLATE.read_text("utf-8"), env), "utf-8")
    (tmp_path / "temp").mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(render(LOCAL_TEMPLATE.read_text("utf-8"), {
        "GATEWAY_USER": "", "GATEWAY_PID": str(tmp_path / "nginx.pid"), "GATEWAY_ERROR_LOG": "stderr",
        "GATEWAY_TEMP": str(tmp_path / "temp"), "GATEWAY_SITE": str(site)}), "utf-8")
    result = nginx_t(main, tmp_path)
    assert result.returncode == 0, result.stderr


def gateway_headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return dict(resp.headers)


def started(gateway: LocalGateway) -> GatewayProcess:
    gateway.write_config()
    gateway.check()
    child = GatewayProcess("gateway", gateway.argv(), dict(os.environ), gateway.log_path)
    child.start()
    return child


def answers(gateway: LocalGateway):
    def probe():
        try:
            return gateway_headers(gateway.url + "/gateway/healthz")
        except OSError:
            return None
    return eventually(probe, timeout=15, what="the gateway answering")


def test_with_a_max_age_configured_every_answer_carries_hsts(tmp_path):
    gateway = LocalGateway(GatewaySettings(port=free_port(), hsts_max_age=600), tmp_path, UPSTREAMS)
    child = started(gateway)
    try:
        assert answers(gateway)["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    finally:
        child.signal(signal.SIGTERM)
        child.process.wait(10)


@pytest.mark.parametrize("origin, images", [("https://tiles.example.vn", "img-src 'self' data: https://tiles.example.vn;"),
                                            ("", "img-src 'self' data:;")])
def test_pages_may_load_images_from_the_map_tile_server_and_no_other(tmp_path, origin, images):
    gateway = LocalGateway(GatewaySettings(port=free_port(), map_origin=origin), tmp_path, UPSTREAMS)
    child = started(gateway)
    try:
        assert images in answers(gateway)["Content-Security-Policy"]
    finally:
        child.signal(signal.SIGTERM)
        child.process.wait(10)


def running(pid: int) -> bool:
    """The process exists and has not ended (a zombie waits only to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_gateway_killed_outright_starts_again_on_its_port(tmp_path):
    # SIGKILL reaches only the master: its worker lives on, holding the port, until the
    # supervisor's next start ends the old process group.
    gateway = LocalGateway(GatewaySettings(port=free_port()), tmp_path, UPSTREAMS)
    child = started(gateway)
    try:
        answers(gateway)
        first = child.process.pid
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(first)], capture_output=True,
                                                     text=True, check=True).stdout.split()]
        assert workers
        os.kill(first, signal.SIGKILL)
        child.process.wait(10)
        child.start()
        assert child.process.pid != first
        assert not [pid for pid in workers if running(pid)]  # the old worker is gone
        answers(gateway)  # so it is the new nginx that answers, bound to the port
        assert child.alive(), gateway.log_path.read_text()
    finally:
        child.signal(signal.SIGTERM)
        child.process.wait(10)


def test_the_access_log_keeps_no_requesters_secret_link(tmp_path):
    """The secret of /cua-toi/<secret> (intake's requester_link) is masked in the request line
    and in the Referer, with and without the gateway's /intake prefix; the rest stays."""
    secret, other = "Zq3-x_" + "a" * 37, "Kp9_" + "b" * 39
    gateway = LocalGateway(GatewaySettings(port=free_port()), tmp_path, UPSTREAMS)
    child = started(gateway)
    try:
        answers(gateway)
        for path in (f"/cua-toi/{secret}?moi=1", f"/intake/cua-toi/{secret}/danh-gia", "/tra-cuu?ma=GT-1"):
            req = urllib.request.Request(gateway.url + path,
                                         headers={"Referer": f"{gateway.url}/cua-toi/{other}?xong=rut"})
            with contextlib.suppress(OSError):  # no service behind this gateway: 503, logged all the same
                urllib.request.urlopen(req, timeout=10).close()
        log = eventually(lambda: (text := gateway.access_log_path.read_text("utf-8")).count("\n") >= 4 and text,
                         timeout=10, what="the access log lines")
    finally:
        child.signal(signal.SIGTERM)
        child.process.wait(10)
    assert secret not in log and other not in log
    assert '"GET /cua-toi/[secret]?moi=1 HTTP/1.1"' in log
    assert '"GET /intake/cua-toi/[secret]/danh-gia HTTP/1.1"' in log
    assert '"GET /tra-cuu?ma=GT-1 HTTP/1.1"' in log
    assert log.count(f'"{gateway.url}/cua-toi/[secret]?xong=rut"') == 3
    assert '"GET /gateway/healthz HTTP/1.1" 200 35 "-"' in log  # no Referer: nginx's usual dash
