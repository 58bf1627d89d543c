"""The gateway (cổng chung): nginx in front of the four web processes, so the platform has one
address — locally ``http://127.0.0.1:8000/``.

``deploy/nginx/giaitrinh.conf.template`` is the one gateway configuration (its head states the
route map and the names it needs). Here it is rendered the way the nginx image renders it in
docker-compose.yml — ``${NAME}`` replaced by the value of each ``GATEWAY_*`` name — with this
machine's ports and paths, and wrapped in ``deploy/nginx/local.conf.template`` (pid, logs and
temporary files under the data dir, nginx in the foreground). ``giaitrinh up`` and the e2e tests
run it as a supervised child (:mod:`giaitrinh_platform.supervisor`).
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import giaitrinh_common
from giaitrinh_common.settings import SettingError, env_int
from giaitrinh_intake.settings import map_tiles_in

PROJECT_ROOT = Path(__file__).resolve().parents[3]
NGINX_DIR = PROJECT_ROOT / "deploy" / "nginx"
GATEWAY_TEMPLATE = NGINX_DIR / "giaitrinh.conf.template"
LOCAL_TEMPLATE = NGINX_DIR / "local.conf.template"
STATIC_ROOT = Path(giaitrinh_common.__file__).resolve().parent / "static"
# The template's names, as the nginx image's envsubst step replaces them: ${NAME} or $NAME.
_NAME = re.compile(r"\$(?:\{(GATEWAY_[A-Z0-9_]+)\}|(GATEWAY_[A-Z0-9_]+))")


class GatewayError(RuntimeError):
    """nginx is missing, or refuses the rendered configuration (the message says why)."""


@dataclass(frozen=True)
class GatewaySettings:
    """The gateway's settings, read from the environment by :meth:`from_env`:

      GIAITRINH_GATEWAY_PORT          the one address's port (8000)
      GIAITRINH_GATEWAY_HSTS_MAX_AGE  seconds browsers keep to HTTPS (Strict-Transport-Security);
                                      0 sends no such header — set it only when the site is
                                      served over TLS (0)
      GIAITRINH_GATEWAY_POST_RATE     POSTs per minute a client address may send (60)
      GIAITRINH_GATEWAY_POST_BURST    POSTs it may send at once beyond that rate (20)
      INTAKE_MAP_TILES                intake's map tile server: its origin is added to the
                                      images pages may load (none without a map)
    """

    port: int = 8000
    hsts_max_age: int = 0
    post_rate: int = 60
    post_burst: int = 20
    map_origin: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GatewaySettings:
        settings = cls(port=env_int(env, "GIAITRINH_GATEWAY_PORT", cls.port),
                       hsts_max_age=env_int(env, "GIAITRINH_GATEWAY_HSTS_MAX_AGE", cls.hsts_max_age),
                       post_rate=env_int(env, "GIAITRINH_GATEWAY_POST_RATE", cls.post_rate),
                       post_burst=env_int(env, "GIAITRINH_GATEWAY_POST_BURST", cls.post_burst),
                       map_origin=map_origin_in(env))
        for name, value, low, high in (("PORT", settings.port, 1, 65535),
                                       ("HSTS_MAX_AGE", settings.hsts_max_age, 0, 10**9),
                                       ("POST_RATE", settings.post_rate, 1, 60_000),
                                       ("POST_BURST", settings.post_burst, 0, 10_000)):
            if not low <= value <= high:
                raise SettingError(f"GIAITRINH_GATEWAY_{name} must be from {low} to {high}, got {value}")
        return settings

    @property
    def retry_after(self) -> int:
        """Seconds until a refused client may POST again: one request's share of a minute."""
        return math.ceil(60 / self.post_rate)

    def template_values(self, *, listen: str, upstreams: Mapping[str, str], static_root: Path,
                        access_log: str) -> dict[str, str]:
        """The names of giaitrinh.conf.template with their values. ``upstreams``: service →
        ``host:port`` of its web process."""
        return {"GATEWAY_LISTEN": listen,
                **{f"GATEWAY_{name.upper()}": address for name, address in upstreams.items()},
                "GATEWAY_STATIC_ROOT": str(static_root), "GATEWAY_ACCESS_LOG": access_log,
                "GATEWAY_HSTS_MAX_AGE": str(self.hsts_max_age),
                "GATEWAY_POST_RATE": str(self.post_rate), "GATEWAY_POST_BURST": str(self.post_burst),
                "GATEWAY_RETRY_AFTER": str(self.retry_after), "GATEWAY_MAP_ORIGIN": self.map_origin}


def map_origin_in(env: Mapping[str, str]) -> str:
    """The origin of intake's map tiles (INTAKE_MAP_TILES, checked as intake checks it), or ""."""
    tiles = map_tiles_in(env)
    return tiles.origin if tiles else ""


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``${NAME}`` (or ``$NAME``) of ``values`` replaced, as envsubst does.
    A ``GATEWAY_*`` name without a value is an error here, where envsubst would leave it in and
    nginx would fail on it later, further from the cause."""
    missing = sorted({a or b for a, b in _NAME.findall(template)} - set(values))
    if missing:
        raise GatewayError(f"no value for {', '.join(missing)}")
    return _NAME.sub(lambda m: values[m.group(1) or m.group(2)], template)


def find_nginx() -> str:
    """The nginx binary (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")
    if found is None:
        raise GatewayError("nginx not found: `make run` installs it from Debian's packages "
                           "(apt-get install nginx)")
    return found


def _user_directive() -> str:
    # As root, nginx gives its workers to a built-in account (nobody / www-data), which cannot
    # write the temp dirs under the data dir; as anyone else the directive is ignored.
    if os.geteuid() != 0:
        return ""
    import grp
    import pwd

    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"


@dataclass
class LocalGateway:
    """nginx on this machine at ``host:settings.port``, in front of web processes on ``upstreams``
    (service → ``host:port``). Its files live in ``data_dir``: ``gateway/`` (the rendered
    configuration), ``run/gateway/`` (pid, temporary files), ``logs/gateway.log`` (nginx's
    errors) and ``logs/gateway-access.log``."""

    settings: GatewaySettings
    data_dir: Path
    upstreams: Mapping[str, str]
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.settings.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "gateway" / "nginx.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "logs" / "gateway.log"

    @property
    def access_log_path(self) -> Path:
        return self.data_dir / "logs" / "gateway-access.log"

    def write_config(self) -> Path:
        """Render both templates into ``data_dir/gateway/``; the path of the main file."""
        conf_dir, run_dir = self.config_path.parent, self.data_dir / "run" / "gateway"
        for folder in (conf_dir, run_dir / "temp", self.log_path.parent):
            folder.mkdir(parents=True, exist_ok=True)
        values = self.settings.template_values(
            listen=f"{self.host}:{self.settings.port}", upstreams=self.upstreams,
            static_root=STATIC_ROOT, access_log=str(self.access_log_path))
        site = conf_dir / "giaitrinh.conf"
        site.write_text(render(GATEWAY_TEMPLATE.read_text("utf-8"), values), "utf-8")
        self.config_path.write_text(render(LOCAL_TEMPLATE.read_text("utf-8"), {
            "GATEWAY_USER": _user_directive(), "GATEWAY_PID": str(run_dir / "nginx.pid"),
            "GATEWAY_ERROR_LOG": "stderr", "GATEWAY_TEMP": str(run_dir / "temp"),
            "GATEWAY_SITE": str(site)}), "utf-8")
        return self.config_path

    def argv(self, *extra: str) -> list[str]:
        """nginx on the rendered configuration; its prefix is the run dir, and errors before the
        configuration is read go to stderr (not to /var/log/nginx, which a user cannot write)."""
        return [find_nginx(), "-p", str(self.data_dir / "run" / "gateway"), "-e", "stderr",
                "-c", str(self.config_path), *extra]

    def check(self) -> None:
        """``nginx -t`` on the rendered configuration; :class:`GatewayError` with nginx's words."""
        result = subprocess.run(self.argv("-t", "-q"), capture_output=True, text=True, timeout=30,
                                check=False)
        if result.returncode != 0:
            raise GatewayError(f"nginx refuses {self.config_path}:\n{result.stderr.strip()}")
