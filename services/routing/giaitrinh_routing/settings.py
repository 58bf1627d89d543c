"""Routing's settings: the only place routing reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings


@dataclass(frozen=True)
class RoutingSettings(ServiceSettings):
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RoutingSettings:
        return cls.read("routing", os.environ if env is None else env, 9102)
