"""Notify's settings: the only place notify reads its environment (see ServiceSettings)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.settings import ServiceSettings, SettingError, env_bool, env_float, env_int, env_str
from giaitrinh_notify.adapters.email_smtp import SmtpConfig
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
    # The delivery core (README, "Notify"): the rules file (None: the one shipped beside the
    # package), the portal's address for links, SMTP (None: no email channel), the sender loop.
    rules_file: str | None = None
    portal_url: str = "http://localhost:8080"
    smtp: SmtpConfig | None = None
    send_interval: float = 0.5
    send_lease: float = 120.0
    max_tries: int = 6
    retry_base: float = 30.0
    retry_cap: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        channels, delivery = channel_settings(env), delivery_settings(env)
        sms = channels["sms_gateway"]
        for name, seconds in (("NOTIFY_WEBHOOK_TIMEOUT", channels["webhook_timeout"]),
                              ("NOTIFY_SMS_TIMEOUT", sms.timeout if isinstance(sms, SmsGatewayConfig) else 0.0)):
            # The lease must outlast any one send (see the SMTP time-out's check below), or
            # the sender loop could never start one in time.
            if delivery["send_lease"] <= seconds:  # type: ignore[operator]
                raise SettingError(f"NOTIFY_SEND_LEASE ({delivery['send_lease']:g} s) must be more than {name}")
        return cls.read("notify", env, 9104, **channels, **delivery)


def delivery_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The rules, SMTP and the sender loop's settings (README, "Notify: email and the ledger")."""
    host = env_str(env, "NOTIFY_SMTP_HOST", "")
    smtp = None
    if host:
        try:
            smtp = SmtpConfig(
                host=host, port=env_int(env, "NOTIFY_SMTP_PORT", 587),
                security=env_str(env, "NOTIFY_SMTP_SECURITY", "starttls").lower(),
                username=env.get("NOTIFY_SMTP_USERNAME", "").strip(),
                password=env.get("NOTIFY_SMTP_PASSWORD", ""),
                sender=env_str(env, "NOTIFY_SMTP_FROM", "thongbao@giaitrinh.local"),
                timeout=env_float(env, "NOTIFY_SMTP_TIMEOUT", 15.0),
                message_id_domain=env_str(env, "NOTIFY_SMTP_MESSAGE_ID_DOMAIN", "giaitrinh.local"),
                verify_tls=env_bool(env, "NOTIFY_SMTP_VERIFY_TLS", True))
        except ValueError as exc:
            raise SettingError(str(exc)) from None
    lease = env_float(env, "NOTIFY_SEND_LEASE", 120.0)
    if smtp is not None and lease <= smtp.timeout * 4:
        # A send may take connect + STARTTLS + auth + data, each up to the time-out: a lease
        # shorter than that would let a second loop take a message still being sent.
        raise SettingError(f"NOTIFY_SEND_LEASE ({lease:g} s) must be more than 4 × NOTIFY_SMTP_TIMEOUT")
    tries = env_int(env, "NOTIFY_MAX_TRIES", 6)
    base, cap = env_float(env, "NOTIFY_RETRY_BASE", 30.0), env_float(env, "NOTIFY_RETRY_CAP", 3600.0)
    if tries < 1 or base <= 0 or cap < base:
        raise SettingError("NOTIFY_MAX_TRIES must be 1 or more, NOTIFY_RETRY_BASE more than 0, "
                           "NOTIFY_RETRY_CAP at least NOTIFY_RETRY_BASE")
    return {"rules_file": env_str(env, "NOTIFY_RULES_FILE", "") or None,
            "portal_url": env_str(env, "NOTIFY_PORTAL_URL", "http://localhost:8080"), "smtp": smtp,
            "send_interval": env_float(env, "NOTIFY_SEND_INTERVAL", 0.5), "send_lease": lease,
            "max_tries": tries, "retry_base": base, "retry_cap": cap}


def channel_settings(env: Mapping[str, str]) -> dict[str, object]:
    """The SMS gateway's and the webhooks' settings (README, "Notifications")."""
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
