"""Scoring's settings: the only place scoring reads its environment (see ServiceSettings).

Scoring's own:
  SCORING_TRANSFER_LIMIT   how many transfers of one case pass unflagged (2): the next one
                           raises the repeated-transfers flag (đùn đẩy); 1 to 50
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings, SettingError, env_int
from giaitrinh_scoring.domain.violations import DEFAULT_TRANSFER_LIMIT

MAX_TRANSFER_LIMIT = 50  # the flag's units (at most limit + 2) stay within its schema's 100


@dataclass(frozen=True)
class ScoringSettings(ServiceSettings):
    transfer_limit: int = DEFAULT_TRANSFER_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ScoringSettings:
        env = os.environ if env is None else env
        limit = env_int(env, "SCORING_TRANSFER_LIMIT", DEFAULT_TRANSFER_LIMIT)
        # A first transfer is how a misrouted case reaches the competent unit: never a flag.
        if not 1 <= limit <= MAX_TRANSFER_LIMIT:
            raise SettingError(f"SCORING_TRANSFER_LIMIT must be 1 to {MAX_TRANSFER_LIMIT}, got {limit}")
        return cls.read("scoring", env, 9103, transfer_limit=limit)
