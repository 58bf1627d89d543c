"""Routing's settings: the only place routing reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings, env_float, env_int


@dataclass(frozen=True)
class RoutingSettings(ServiceSettings):
    """Routing's own settings, besides the shared ones:
      ROUTING_DUE_SOON_WORKING_DAYS      warn the official this many working days ahead (2)
      ROUTING_ESCALATE_AFTER_WORKING_DAYS escalate an overdue step to the locality head after
                                          this many working days (3)
      ROUTING_WATCH_EVERY_SECONDS        how often the deadline watcher sweeps (60)
    """

    due_soon_working_days: int = 2
    escalate_after_working_days: int = 3
    watch_every_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RoutingSettings:
        env = os.environ if env is None else env
        return cls.read("routing", env, 9102,
                        due_soon_working_days=env_int(env, "ROUTING_DUE_SOON_WORKING_DAYS", 2),
                        escalate_after_working_days=env_int(env, "ROUTING_ESCALATE_AFTER_WORKING_DAYS", 3),
                        watch_every_seconds=env_float(env, "ROUTING_WATCH_EVERY_SECONDS", 60.0))
