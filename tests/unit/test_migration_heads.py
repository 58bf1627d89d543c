"""Each service's revisions form one line: however many were written side by side, a merge
revision joins them, so a release upgrades to one known head and a downgrade knows its way."""
from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from giaitrinh_common.migrations import alembic_config
from giaitrinh_platform.services import SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_one_head_revision(name):
    scripts = ScriptDirectory.from_config(alembic_config(SERVICES[name].package, "sqlite://"))
    assert len(scripts.get_heads()) == 1, f"{name}: {scripts.get_heads()} — add a merge revision"
