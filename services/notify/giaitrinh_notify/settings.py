"""Notify's settings: the only place notify reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings, SettingError, env_bool, env_float, env_int, env_str
from giaitrinh_notify.adapters.sms_gateway import DEFAULT_BODY_TEMPLATE, SmsGatewayConfig


@dataclass(frozen=True)
class NotifySettings(ServiceSettings):
    # The SMS gateway's request format (None: no SMS channel); see adapters/sms_gateway.py.
    sms_gateway: SmsGatewayConfig | None = None
    # Webhooks: the whole exchange's time-out, whether plain http:// receivers are allowed
    # (only for a test bench or a closed network), and how long a rotated-out secret still signs.
    webhook_timeout: float = 10.0
    webhook_allow_http: bool = False
    webhook_secret_overlap_hours: int = 24

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        return cls.read("notify", env, 9104, **channel_settings(env))


def channel_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The SMS gateway's and the webhooks' settings (README, "SMS gateway" and "Webhooks")."""
    url = env_str(env, "NOTIFY_SMS_URL", "")
    sms = None
    if url:
        try:
            sms = SmsGatewayConfig(
                url=url, method=env_str(env, "NOTIFY_SMS_METHOD", "POST").upper(),
                body_format=env_str(env, "NOTIFY_SMS_BODY_FORMAT", "json").lower(),
                body_template=env_str(env, "NOTIFY_SMS_BODY_TEMPLATE", DEFAULT_BODY_TEMPLATE),
                auth_header=env_str(env, "NOTIFY_SMS_AUTH_HEADER", "Authorization"),
                auth_value=env.get("NOTIFY_SMS_AUTH_VALUE", "").strip(),
                reference_header=env_str(env, "NOTIFY_SMS_REFERENCE_HEADER", ""),
                sender=env_str(env, "NOTIFY_SMS_SENDER", ""),
                id_field=env_str(env, "NOTIFY_SMS_ID_FIELD", ""),
                strip_diacritics=env_bool(env, "NOTIFY_SMS_STRIP_DIACRITICS", True),
                max_segments=env_int(env, "NOTIFY_SMS_MAX_SEGMENTS", 1),
                timeout=env_float(env, "NOTIFY_SMS_TIMEOUT", 10.0))
        except ValueError as exc:
            raise SettingError(str(exc)) from None
    timeout = env_float(env, "NOTIFY_WEBHOOK_TIMEOUT", 10.0)
    if not 0 < timeout <= 120:
        raise SettingError(f"NOTIFY_WEBHOOK_TIMEOUT must be more than 0 and at most 120 s, got {timeout}")
    overlap = env_int(env, "NOTIFY_WEBHOOK_SECRET_OVERLAP_HOURS", 24)
    if not 0 <= overlap <= 24 * 30:
        raise SettingError(f"NOTIFY_WEBHOOK_SECRET_OVERLAP_HOURS must be 0 to 720, got {overlap}")
    return {"sms_gateway": sms, "webhook_timeout": timeout,
            "webhook_allow_http": env_bool(env, "NOTIFY_WEBHOOK_ALLOW_HTTP", False),
            "webhook_secret_overlap_hours": overlap}
