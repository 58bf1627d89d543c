"""Typed reading of environment variables. Each service's own ``settings.py`` is the only
place that calls these; everything else receives a settings object."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path


class SettingError(ValueError):
    pass


def env_str(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, got {raw!r}") from None


def env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {raw!r}") from None


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name} must be true or false, got {raw!r}")


def replication_factor_in(env: Mapping[str, str]) -> int:
    """GIAITRINH_REPLICATION_FACTOR: how many brokers hold a copy of every partition of the
    platform's topics (default 1, the single local broker). The shared deployment's three-node
    cluster sets 3. ``topics.min_insync_replicas`` derives the copies a write must reach from
    it, so this one number decides both."""
    factor = env_int(env, "GIAITRINH_REPLICATION_FACTOR", 1)
    if factor < 1:
        raise SettingError(f"GIAITRINH_REPLICATION_FACTOR must be 1 or more, got {factor}")
    return factor


def data_dir_in(env: Mapping[str, str]) -> Path:
    """GIAITRINH_DATA_DIR (``var``): where SQLite files, keys and logs live by default."""
    return Path(env_str(env, "GIAITRINH_DATA_DIR", "var")).resolve()


@dataclass(frozen=True)
class ServiceSettings:
    """What every service process needs; services extend it with their own settings.

    Environment (``<SVC>`` is INTAKE, ROUTING, SCORING or NOTIFY):
      GIAITRINH_DATA_DIR        where SQLite files live by default (./var)
      <SVC>_DATABASE_URL        SQLAlchemy URL of the service's own database
                                (default sqlite:///<data dir>/<svc>.db)
      GIAITRINH_KAFKA_BOOTSTRAP Kafka bootstrap servers (127.0.0.1:9092)
      GIAITRINH_TOPIC_PARTITIONS partitions for topics the service creates (6)
      GIAITRINH_REPLICATION_FACTOR copies of each partition on the brokers (1); topics are
                                written to at least ``topics.min_insync_replicas`` of them
                                (replication factor - 1, at least 1: 1 locally, 2 of 3 in the
                                shared deployment), see :func:`replication_factor_in`
      <SVC>_METRICS_PORT        the worker's Prometheus port (9101..9104)
      GIAITRINH_LOG_LEVEL       DEBUG, INFO, WARNING (INFO)
      GIAITRINH_MAX_ATTEMPTS    handler attempts before dead-lettering (4)
      GIAITRINH_RETRY_BACKOFF   first retry delay in seconds, doubled each time (1.0)
      <SVC>_MAX_BODY_BYTES      the largest request body the web process reads; longer ones
                                get 413 (1048576 = 1 MiB)
      GIAITRINH_AUTH_PUBLIC_KEY the public key (PEM, Ed25519) that verifies sign-in tokens
                                (<data dir>/keys/auth-public.pem; routing holds the private one)
      GIAITRINH_COOKIE_SECURE   send the sign-in and CSRF cookies only over HTTPS (false; set
                                it when the site is served over TLS)
    """

    service: str
    database_url: str
    kafka_bootstrap: str
    partitions: int
    replication_factor: int
    metrics_port: int
    log_level: str
    max_attempts: int
    retry_backoff: float
    max_body_bytes: int = 1024 * 1024
    auth_public_key: str = "var/keys/auth-public.pem"
    cookie_secure: bool = False

    @classmethod
    def read(cls, service: str, env: Mapping[str, str], default_metrics_port: int, **extra):
        prefix = service.upper()
        data_dir = data_dir_in(env)
        max_body_bytes = env_int(env, f"{prefix}_MAX_BODY_BYTES", 1024 * 1024)
        if max_body_bytes < 1:
            raise SettingError(f"{prefix}_MAX_BODY_BYTES must be 1 or more, got {max_body_bytes}")
        values = dict(
            service=service,
            database_url=env_str(env, f"{prefix}_DATABASE_URL", f"sqlite:///{data_dir / service}.db"),
            kafka_bootstrap=env_str(env, "GIAITRINH_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            partitions=env_int(env, "GIAITRINH_TOPIC_PARTITIONS", 6),
            replication_factor=replication_factor_in(env),
            metrics_port=env_int(env, f"{prefix}_METRICS_PORT", default_metrics_port),
            log_level=env_str(env, "GIAITRINH_LOG_LEVEL", "INFO").upper(),
            max_attempts=env_int(env, "GIAITRINH_MAX_ATTEMPTS", 4),
            retry_backoff=env_float(env, "GIAITRINH_RETRY_BACKOFF", 1.0),
            max_body_bytes=max_body_bytes,
            auth_public_key=env_str(env, "GIAITRINH_AUTH_PUBLIC_KEY", str(data_dir / "keys" / "auth-public.pem")),
            cookie_secure=env_bool(env, "GIAITRINH_COOKIE_SECURE", False),
        )
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in {**values, **extra}.items() if k in names})
