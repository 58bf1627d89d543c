"""The official list of communes and wards after the 2025 reorganisation (``vietnam-provinces``)."""
from __future__ import annotations

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from giaitrinh_routing.domain.model import Locality


def province_name(province_code: str) -> str:
    return Province.from_code(ProvinceCode(int(province_code))).name


def wards_of(province_code: str) -> list[Locality]:
    """Every commune and ward of one province, in code order."""
    code = ProvinceCode(int(province_code))
    return [Locality(str(w.code.value), w.name, str(w.province_code.value), w.division_type.value)
            for w in sorted(Ward.iter_by_province(code), key=lambda w: w.code.value)]


def official_locality(code: str) -> Locality | None:
    """The commune or ward of ``code`` in the official list (None when there is none)."""
    if not (code.isascii() and code.isdigit()) or code.startswith("0") or len(code) > 6:
        return None
    try:
        w = Ward.from_code(WardCode(int(code)))
    except (ValueError, KeyError):
        return None
    return Locality(str(w.code.value), w.name, str(w.province_code.value), w.division_type.value)
