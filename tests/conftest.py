"""Test tiers follow the folders: tests/unit (no I/O but memory and temp SQLite files),
tests/integration (real Kafka, real PostgreSQL), tests/e2e (the platform's processes over
HTTP and the broker). ``pytest -m unit`` and friends select them."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.support.fixtures", "tests.support.factories"]

_TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in _TIERS:
            if tier in parts and not item.get_closest_marker(tier):
                item.add_marker(getattr(pytest.mark, tier))
