"""The communes and wards served, from the official 2025 list shipped in ``vietnam-provinces``."""
from __future__ import annotations

from vietnam_provinces import Province, Ward

from giaitrinh_intake.domain.model import Locality
from giaitrinh_intake.domain.ports import LocalityDirectory


class ProvinceLocalities(LocalityDirectory):
    """Every commune and ward of the given provinces (codes such as ``44`` for Quảng Trị)."""

    def __init__(self, province_codes: tuple[str, ...]):
        wanted = {int(c) for c in province_codes}
        # The provinces' names, for the portal's pages ("Quảng Trị").
        self.province_names = tuple(p.name for p in Province.iter_all() if p.code.value in wanted)
        self._by_code = {
            str(w.code.value): Locality(str(w.code.value), w.name, str(w.province_code.value))
            for w in Ward.iter_all() if w.province_code.value in wanted
        }

    def get(self, code: str) -> Locality | None:
        return self._by_code.get(code.strip())

    def all(self) -> list[Locality]:
        return list(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)
