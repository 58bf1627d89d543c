"""Notify's settings: the only place notify reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings


@dataclass(frozen=True)
class NotifySettings(ServiceSettings):
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        return cls.read("notify", os.environ if env is None else env, 9104)
