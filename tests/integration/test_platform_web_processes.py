"""Web processes as `giaitrinh up` starts them (real gunicorn masters, SQLite files), with no
Kafka broker at all: they are ready, because a web process needs only its database; and each
master has its own control socket, which the others neither take nor remove."""
from __future__ import annotations

import os
import signal

import pytest
from gunicorn.ctl.client import ControlClient

from giaitrinh_platform.kafka_broker import free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SERVICES_STARTED = ("intake", "routing")


def listeners(socket_path) -> list[str]:
    """The addresses a gunicorn master says it serves, asked over its control socket."""
    with ControlClient(str(socket_path), timeout=10) as client:
        return [lnr["address"] for lnr in client.send_command("show listeners")["listeners"]]


@pytest.fixture
def platform(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_DATABASE_URL", "_PORT"))}
    platform = Platform(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}",  # no broker
                        base_env=env, web_ports={s: free_port() for s in SERVICES},
                        metrics_ports={s: free_port() for s in SERVICES}, web_threads=2)
    for name in SERVICES_STARTED:
        child = platform.web_process(name)
        child.start()
        platform.children.append(child)
    try:
        yield platform
    finally:
        platform.stop_services()


def test_web_processes_are_ready_without_a_broker_and_report_it_as_detail(platform):
    for name in SERVICES_STARTED:
        status, body = eventually(lambda n=name: (r := platform.readiness(n))[0] and r, timeout=60,
                                  what=f"{name}'s web process answering /readyz")
        assert (status, body["checks"], body["detail"]) == (200, {"database": "ok"},
                                                            {"broker": "unavailable"}), body


def test_each_web_process_answers_on_its_own_control_socket(platform):
    for name in SERVICES_STARTED:
        eventually(lambda n=name: platform.readiness(n)[0] == 200, timeout=60, what=f"{name} ready")
    intake, routing = (platform.control_socket(name) for name in SERVICES_STARTED)
    assert intake != routing
    assert listeners(intake) == [platform.web_url("intake")]
    assert listeners(routing) == [platform.web_url("routing")]

    # Stopping one master leaves the other's socket in place (gunicorn unlinks its own on exit).
    [intake_web] = [c for c in platform.children if c.name == "intake-web"]
    intake_web.signal(signal.SIGTERM)
    intake_web.process.wait(30)
    assert not intake.exists()
    assert listeners(routing) == [platform.web_url("routing")]
