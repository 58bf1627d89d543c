"""Intake's settings: the only place intake reads its environment.

Besides the common ones (see :class:`giaitrinh_common.settings.ServiceSettings`):
  INTAKE_PUBLIC_BASE_URL  the portal's public address, for links in answers
  INTAKE_MAP_TILES        a tile server's address with {z}, {x} and {y} (e.g.
                          https://tiles.example.vn/{z}/{x}/{y}.png): the submission form then
                          offers a map to pick the place; empty (the default) offers none, and the
                          latitude and longitude fields work alone. The gateway lets pages load
                          images from this server's origin (its Content-Security-Policy).
  INTAKE_MAP_ATTRIBUTION  the credit the tile server's terms ask for, shown under the map
  INTAKE_MAP_CENTRE       where the map opens when no place is given yet: "latitude,longitude"
                          (16.8163,107.1003: Đông Hà, Quảng Trị)
  INTAKE_SQLITE_WRITER_PROCESS
                          on a SQLite database, new submissions are written by a process of
                          the web process's own (adapters/writer_process.py): true (the
                          default), or false to write them from the web process's threads
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from giaitrinh_common.settings import ServiceSettings, SettingError, env_bool, env_str
from giaitrinh_intake.domain.validation import VIETNAM_LATITUDE, VIETNAM_LONGITUDE


@dataclass(frozen=True)
class MapTiles:
    """A slippy-map tile server (bản đồ nền) the submission form may show, and its terms."""

    url_template: str
    attribution: str = ""
    centre: tuple[float, float] = (16.8163, 107.1003)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``: what the gateway's Content-Security-Policy must allow."""
        parts = urlsplit(self.url_template)
        return f"{parts.scheme}://{parts.netloc}"


def map_tiles_in(env: Mapping[str, str]) -> MapTiles | None:
    """The tile server INTAKE_MAP_TILES names, checked; None when it names none."""
    template = env.get("INTAKE_MAP_TILES", "").strip()
    if not template:
        return None
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc or "{" in parts.netloc:
        raise SettingError(f"INTAKE_MAP_TILES must be an http(s) address with a fixed host, got {template!r}")
    missing = [name for name in ("{z}", "{x}", "{y}") if name not in template]
    if missing:
        raise SettingError(f"INTAKE_MAP_TILES must contain {', '.join(missing)}, got {template!r}")
    raw = env_str(env, "INTAKE_MAP_CENTRE", "16.8163,107.1003")
    try:
        latitude, longitude = (float(part) for part in raw.split(","))
    except ValueError:
        raise SettingError(f'INTAKE_MAP_CENTRE must be "latitude,longitude", got {raw!r}') from None
    if not (VIETNAM_LATITUDE[0] <= latitude <= VIETNAM_LATITUDE[1]
            and VIETNAM_LONGITUDE[0] <= longitude <= VIETNAM_LONGITUDE[1]):
        raise SettingError(f"INTAKE_MAP_CENTRE must be in Vietnam, got {raw!r}")
    return MapTiles(template, env.get("INTAKE_MAP_ATTRIBUTION", "").strip(), (latitude, longitude))


@dataclass(frozen=True)
class IntakeSettings(ServiceSettings):
    public_base_url: str = "http://127.0.0.1:8001"
    map_tiles: MapTiles | None = None
    sqlite_writer_process: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        # Which communes and wards are served is no setting: routing's registry decides
        # (intake learns it from locality.changed; giaitrinh routing localities enable|disable).
        return cls.read("intake", env, 9101,
                        public_base_url=env_str(env, "INTAKE_PUBLIC_BASE_URL", "http://127.0.0.1:8001"),
                        map_tiles=map_tiles_in(env),
                        sqlite_writer_process=env_bool(env, "INTAKE_SQLITE_WRITER_PROCESS", True))
