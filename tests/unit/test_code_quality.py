"""House rules that tools can check: ruff everywhere, mypy on the domain packages, and the
domain packages importing nothing of Flask, SQLAlchemy or Kafka."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = sorted(ROOT.glob("services/*/giaitrinh_*/domain"))
EDGE_LIBRARIES = {"flask", "sqlalchemy", "kafka", "alembic", "psycopg", "werkzeug", "prometheus_client"}


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "services", "tests", "bench"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_domain_packages():
    result = subprocess.run([sys.executable, "-m", "mypy", *map(str, DOMAINS)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.parent.name for d in DOMAINS])
def test_a_domain_package_knows_nothing_of_the_edges(domain):
    for source in domain.rglob("*.py"):
        tree = ast.parse(source.read_text("utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top not in EDGE_LIBRARIES, f"{source.relative_to(ROOT)} imports {name}"
                assert top not in {"giaitrinh_common"}, f"{source.relative_to(ROOT)} imports shared plumbing"
