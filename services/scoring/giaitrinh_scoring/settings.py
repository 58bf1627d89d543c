"""Scoring's settings: the only place scoring reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings


@dataclass(frozen=True)
class ScoringSettings(ServiceSettings):
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScoringSettings:
        return cls.read("scoring", os.environ if env is None else env, 9103)
