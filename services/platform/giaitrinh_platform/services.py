"""The four services as the platform knows them: their packages, ports and composition roots."""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_common.settings import env_int


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    web_port: int  # default port of the web process on this machine

    @property
    def package(self) -> str:
        return f"giaitrinh_{self.name}"

    @property
    def wsgi_target(self) -> str:
        return f"{self.package}.entrypoints.web:create_app()"

    @property
    def env_prefix(self) -> str:
        return self.name.upper()

    def web_port_in(self, env: Mapping[str, str]) -> int:
        """``<SVC>_WEB_PORT``: where ``giaitrinh up`` binds the service's web process. Only the
        local platform reads it; in compose gunicorn's ``--bind`` says it. (The worker's port,
        ``<SVC>_METRICS_PORT``, is one of the service's own settings.)"""
        return env_int(env, f"{self.env_prefix}_WEB_PORT", self.web_port)

    def bootstrap(self, **kwargs) -> ServiceRuntime:
        """Build the service's runtime from its settings (the environment) and ``kwargs``."""
        return importlib.import_module(f"{self.package}.bootstrap").bootstrap(**kwargs)

    def settings(self, env):
        module = importlib.import_module(f"{self.package}.settings")
        return getattr(module, f"{self.name.capitalize()}Settings").from_env(env)

    def create_app(self, runtime: ServiceRuntime):
        return importlib.import_module(f"{self.package}.entrypoints.web").create_app(runtime)

    def metadata(self):
        return importlib.import_module(f"{self.package}.adapters.orm").metadata


SERVICES: dict[str, ServiceSpec] = {
    "intake": ServiceSpec("intake", 8001),
    "routing": ServiceSpec("routing", 8002),
    "scoring": ServiceSpec("scoring", 8003),
    "notify": ServiceSpec("notify", 8004),
}
