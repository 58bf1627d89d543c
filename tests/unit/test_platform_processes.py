"""What `giaitrinh up` hands its processes: ports from the environment, and one gunicorn
control socket per web process."""
from pathlib import Path

import pytest

from giaitrinh_common.settings import SettingError
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform


def platform(tmp_path: Path, **env: str) -> Platform:
    return Platform(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1", base_env=env)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_without_settings_the_ports_are_8001_to_8004_and_9101_to_9104(tmp_path):
    p = platform(tmp_path)
    assert p.web_ports == {"intake": 8001, "routing": 8002, "scoring": 8003, "notify": 8004}
    assert p.metrics_ports == {"intake": 9101, "routing": 9102, "scoring": 9103, "notify": 9104}


def test_a_metrics_port_set_in_the_environment_reaches_the_worker_unchanged(tmp_path):
    p = platform(tmp_path, ROUTING_METRICS_PORT="9555")
    assert p.service_env("routing")["ROUTING_METRICS_PORT"] == "9555"
    assert p.metrics_ports["routing"] == 9555  # and `up` prints that address
    assert p.service_env("intake")["INTAKE_METRICS_PORT"] == "9101"


def test_a_web_port_set_in_the_environment_is_where_gunicorn_binds(tmp_path):
    p = platform(tmp_path, INTAKE_WEB_PORT="18001", NOTIFY_WEB_PORT="18004")
    assert option(p.web_argv("intake"), "--bind") == "127.0.0.1:18001"
    assert option(p.web_argv("notify"), "--bind") == "127.0.0.1:18004"
    assert option(p.web_argv("routing"), "--bind") == "127.0.0.1:8002"
    assert p.web_url("intake") == "http://127.0.0.1:18001"
    # the gateway sends intake's share of the one address there
    assert p.gateway.upstreams["intake"] == "127.0.0.1:18001"


def test_ports_given_by_the_caller_win_over_the_environment(tmp_path):
    p = Platform(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1",
                 base_env={"SCORING_WEB_PORT": "18003", "SCORING_METRICS_PORT": "19103"},
                 web_ports={"scoring": 28003}, metrics_ports={"scoring": 29103})
    assert option(p.web_argv("scoring"), "--bind") == "127.0.0.1:28003"
    assert p.service_env("scoring")["SCORING_METRICS_PORT"] == "29103"


def test_a_port_that_is_not_a_number_is_refused_by_name(tmp_path):
    with pytest.raises(SettingError, match="INTAKE_WEB_PORT"):
        platform(tmp_path, INTAKE_WEB_PORT="eighty")


def test_each_web_process_has_its_own_control_socket_in_the_data_dir(tmp_path):
    p = platform(tmp_path)
    sockets = {name: option(p.web_argv(name), "--control-socket") for name in SERVICES}
    assert len(set(sockets.values())) == len(SERVICES)
    assert sockets["intake"] == str(tmp_path / "run" / "intake-web.ctl")


def test_a_data_dir_too_deep_for_a_unix_socket_gets_no_control_socket(tmp_path):
    deep = tmp_path / ("d" * 100)
    argv = platform(deep).web_argv("intake")
    assert "--no-control-socket" in argv and "--control-socket" not in argv
