"""Intake's settings: the only place intake reads its environment.

Besides the common ones (see :class:`giaitrinh_common.settings.ServiceSettings`):
  INTAKE_PUBLIC_BASE_URL  the portal's public address, for links in answers
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings, env_str


@dataclass(frozen=True)
class IntakeSettings(ServiceSettings):
    public_base_url: str = "http://127.0.0.1:8001"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        # Which communes and wards are served is no setting: routing's registry decides
        # (intake learns it from locality.changed; giaitrinh routing localities enable|disable).
        return cls.read("intake", env, 9101,
                        public_base_url=env_str(env, "INTAKE_PUBLIC_BASE_URL", "http://127.0.0.1:8001"))
