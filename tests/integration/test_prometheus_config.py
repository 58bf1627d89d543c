"""The Prometheus files of deploy/ checked by Prometheus's own tool: both scrape configs load
with their rule file, and the alert rules pass their unit tests (alerts_test.yml)."""
import shutil
import subprocess

import pytest

from tests.support.fixtures import PROJECT_ROOT

PROMETHEUS_DIR = PROJECT_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool not found: `make test` installs Debian's prometheus package", pytrace=False)
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("config", ["prometheus.yml", "local.yml"])
def test_the_scrape_config_and_its_alert_rules_load(config):
    result = promtool("check", "config", str(PROMETHEUS_DIR / config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 rules found" in result.stdout


def test_the_alerts_fire_when_they_should_and_stay_quiet_otherwise():
    result = promtool("test", "rules", str(PROMETHEUS_DIR / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
