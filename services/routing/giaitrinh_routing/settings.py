"""Routing's settings: the only place routing reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.auth import MAX_TOKEN_SECONDS
from giaitrinh_common.settings import (
    ServiceSettings,
    SettingError,
    data_dir_in,
    env_float,
    env_int,
    env_str,
)


@dataclass(frozen=True)
class RoutingSettings(ServiceSettings):
    """Routing's own settings, besides the shared ones:
      ROUTING_DUE_SOON_WORKING_DAYS      warn the official this many working days ahead (2)
      ROUTING_ESCALATE_AFTER_WORKING_DAYS escalate an overdue step to the locality head after
                                          this many working days (3)
      ROUTING_WATCH_EVERY_SECONDS        how often the deadline watcher sweeps (60)
      ROUTING_AUTH_PRIVATE_KEY           the Ed25519 private key (PEM) that signs sign-in tokens
                                          (<data dir>/keys/auth-private.pem, mode 0600;
                                          `giaitrinh routing keys generate` or `up` writes it)
      ROUTING_TOKEN_SECONDS              a token's lifetime, 1 to 60 seconds (60): how long a
                                          disabled account's token can still be used
      ROUTING_SESSION_HOURS              a sign-in session renews tokens for this long (12)
      ROUTING_SIGN_IN_MAX_FAILURES       wrong answers that lock a login (5) ...
      ROUTING_SIGN_IN_WINDOW_MINUTES     ... within this many minutes (15) ...
      ROUTING_SIGN_IN_LOCK_MINUTES       ... for this many minutes (15)
    """

    due_soon_working_days: int = 2
    escalate_after_working_days: int = 3
    watch_every_seconds: float = 60.0
    auth_private_key: str = "var/keys/auth-private.pem"
    token_seconds: int = 60
    session_hours: float = 12.0
    sign_in_max_failures: int = 5
    sign_in_window_minutes: float = 15.0
    sign_in_lock_minutes: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RoutingSettings:
        env = os.environ if env is None else env
        return cls.read("routing", env, 9102,
                        due_soon_working_days=env_int(env, "ROUTING_DUE_SOON_WORKING_DAYS", 2),
                        escalate_after_working_days=env_int(env, "ROUTING_ESCALATE_AFTER_WORKING_DAYS", 3),
                        watch_every_seconds=env_float(env, "ROUTING_WATCH_EVERY_SECONDS", 60.0),
                        **_sign_in_settings(env))


def _sign_in_settings(env: Mapping[str, str]) -> dict:
    token_seconds = env_int(env, "ROUTING_TOKEN_SECONDS", MAX_TOKEN_SECONDS)
    if not 1 <= token_seconds <= MAX_TOKEN_SECONDS:  # the one-minute revocation rule
        raise SettingError(f"ROUTING_TOKEN_SECONDS must be 1 to {MAX_TOKEN_SECONDS}, got {token_seconds}")
    return dict(
        auth_private_key=env_str(env, "ROUTING_AUTH_PRIVATE_KEY",
                                 str(data_dir_in(env) / "keys" / "auth-private.pem")),
        token_seconds=token_seconds,
        session_hours=env_float(env, "ROUTING_SESSION_HOURS", 12.0),
        sign_in_max_failures=env_int(env, "ROUTING_SIGN_IN_MAX_FAILURES", 5),
        sign_in_window_minutes=env_float(env, "ROUTING_SIGN_IN_WINDOW_MINUTES", 15.0),
        sign_in_lock_minutes=env_float(env, "ROUTING_SIGN_IN_LOCK_MINUTES", 15.0))
