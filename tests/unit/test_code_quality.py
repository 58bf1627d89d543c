"""House rules that tools can check: ruff everywhere, mypy on the domain packages, the service
layers and the shared plumbing, and the
import contracts of pyproject.toml (``[tool.importlinter]``) kept by ``lint-imports``."""
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
DOMAINS = sorted(ROOT.glob("services/*/giaitrinh_*/domain"))
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Small pure libraries a domain package may use (DESIGN.md house rule 1); every other runtime
# dependency must be forbidden to the domain by the "domain-is-pure" contract.
PURE_LIBRARIES = {"holidays", "python-dateutil", "rapidfuzz"}  # rapidfuzz: string distances, no I/O


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "services", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


SERVICE_LAYERS = sorted(ROOT.glob("services/*/giaitrinh_*/service_layer"))
SHARED_PLUMBING = ROOT / "services/common/giaitrinh_common"


def test_mypy_finds_nothing_in_the_domains_the_service_layers_and_the_shared_plumbing():
    checked = [*DOMAINS, *SERVICE_LAYERS, SHARED_PLUMBING]
    assert len(SERVICE_LAYERS) == 4
    result = subprocess.run([sys.executable, "-m", "mypy", *map(str, checked)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def import_linter_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text("utf-8"))["tool"]["importlinter"]


def contract(contract_id: str) -> dict:
    return next(c for c in import_linter_config()["contracts"] if c["id"] == contract_id)


def lint_imports(*args: str, cwd: Path = ROOT, pythonpath: list[Path] | None = None):
    env = {**os.environ, "COLUMNS": "1000"}  # one line per contract, whatever the terminal
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(map(str, pythonpath))
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = import_linter_config()["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout, result.stdout
    for c in contracts:
        # A contract's named exceptions (ignore_imports) are reported as "(1 ignored import)".
        assert re.search(rf"(?m)^{re.escape(c['name'])} KEPT( \(\d+ ignored imports?\))?$", result.stdout), c["name"]


# Each contract, shown to break: the line is added to a copy of the code, never to the tree.
VIOLATIONS = [
    ("intake/giaitrinh_intake/domain/model.py", "import flask", "domain-is-pure"),
    ("routing/giaitrinh_routing/domain/model.py", "from giaitrinh_common import topics", "domain-is-pure"),
    ("scoring/giaitrinh_scoring/domain/indicators.py", "from giaitrinh_scoring import settings",
     "domain-is-pure"),
    ("scoring/giaitrinh_scoring/service_layer/handlers.py", "from giaitrinh_notify.domain import messages",
     "services-are-independent"),
    ("common/giaitrinh_common/settings.py", "import giaitrinh_intake.settings", "common-knows-no-service"),
    ("notify/giaitrinh_notify/adapters/orm.py", "import giaitrinh_platform.services",
     "services-know-no-platform"),
    ("notify/giaitrinh_notify/adapters/repository.py", "from giaitrinh_notify.service_layer import handlers",
     "service-layers"),
    ("intake/giaitrinh_intake/service_layer/unit_of_work.py", "from giaitrinh_intake import bootstrap",
     "service-layers"),
    ("routing/giaitrinh_routing/service_layer/handlers.py", "import sqlalchemy",
     "edge-libraries-at-the-edges"),
    ("routing/giaitrinh_routing/bootstrap.py", "from flask import Flask", "edge-libraries-at-the-edges"),
]


@pytest.mark.parametrize(("path", "line", "contract_id"), VIOLATIONS,
                         ids=[f"{v[2]}:{v[0].split('/')[0]}" for v in VIOLATIONS])
def test_an_import_that_breaks_a_contract_fails_the_check(tmp_path, path, line, contract_id):
    services = tmp_path / "services"
    shutil.copytree(ROOT / "services", services, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    with (services / path).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}  # noqa\n")
    # The copies come first on the path, ahead of the installed packages.
    result = lint_imports("--contract", contract_id, cwd=tmp_path,
                          pythonpath=sorted(p for p in services.iterdir() if p.is_dir()))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract(contract_id)['name']} BROKEN" in result.stdout
    assert line.split()[1] in result.stdout  # the report names the offending import


def test_every_runtime_dependency_is_forbidden_to_the_domain_or_named_pure():
    forbidden = set(contract("domain-is-pure")["forbidden_modules"])
    importable_as = importlib.metadata.packages_distributions()
    forbidden_distributions = {canonicalize_name(dist) for module in forbidden
                               for dist in importable_as.get(module, [])}
    pure = {canonicalize_name(name) for name in PURE_LIBRARIES}
    dependencies = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]["dependencies"]
    for dependency in dependencies:
        name = canonicalize_name(Requirement(dependency).name)
        assert name in forbidden_distributions | pure, (
            f"{name} is neither forbidden to the domain packages nor named a small pure library")
