"""Đơn vị và quy tắc phân công — the units of a locality and the rules that route a request.

Each commune or ward starts with a default set of units (the People's Committee office, the
economic and the culture–society offices, the public administration service centre, the
land/cadastral and the justice officers, the police) and its supervising bodies (HĐND, MTTQ,
UBKT), which admins then edit. A routing rule says which unit (and, optionally, which
official) handles a field (*lĩnh vực*) in a locality; a field with no rule goes to the
People's Committee office, whose head is the locality head (*phân công nhiệm vụ, thẩm quyền*).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class UnitKind(StrEnum):
    HANDLING = "handling"  # handles requests
    SUPERVISING = "supervising"  # HĐND, MTTQ, UBKT: read across the locality, decide disputes


@dataclass(frozen=True)
class Unit:
    """Đơn vị: a unit of a locality."""

    locality_code: str
    code: str
    name: str
    kind: UnitKind
    active: bool = True


# The units every locality starts with (code, name, kind). Codes are short ASCII slugs.
DEFAULT_UNITS: tuple[tuple[str, str, UnitKind], ...] = (
    ("van-phong", "Văn phòng HĐND và UBND", UnitKind.HANDLING),
    ("kinh-te", "Phòng Kinh tế (Kinh tế, Hạ tầng và Đô thị)", UnitKind.HANDLING),
    ("van-hoa-xa-hoi", "Phòng Văn hóa – Xã hội", UnitKind.HANDLING),
    ("hanh-chinh-cong", "Trung tâm Phục vụ hành chính công", UnitKind.HANDLING),
    ("dia-chinh", "Công chức Địa chính – Xây dựng", UnitKind.HANDLING),
    ("tu-phap", "Công chức Tư pháp – Hộ tịch", UnitKind.HANDLING),
    ("cong-an", "Công an xã, phường", UnitKind.HANDLING),
    ("hdnd", "Thường trực Hội đồng nhân dân", UnitKind.SUPERVISING),
    ("mttq", "Ủy ban Mặt trận Tổ quốc Việt Nam", UnitKind.SUPERVISING),
    ("ubkt", "Ủy ban Kiểm tra Đảng ủy", UnitKind.SUPERVISING),
)
FALLBACK_UNIT = "van-phong"

# Which default unit handles which field, before an admin changes anything.
DEFAULT_RULES: dict[str, str] = {
    "land": "dia-chinh", "construction": "dia-chinh", "environment": "kinh-te",
    "finance": "kinh-te", "public_procurement": "kinh-te", "personnel": "van-phong",
    "administrative_procedures": "hanh-chinh-cong", "justice": "tu-phap",
    "social_affairs": "van-hoa-xa-hoi", "health": "van-hoa-xa-hoi",
    "education": "van-hoa-xa-hoi", "other": "van-phong",
}

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def default_units(locality_code: str) -> list[Unit]:
    return [Unit(locality_code, code, name, kind) for code, name, kind in DEFAULT_UNITS]


def problems_with_unit(code: str, name: str) -> list[str]:
    """What is wrong with a unit's code and name (empty when nothing)."""
    out = []
    if not _CODE.match(code):
        out.append("code: 1–40 lowercase letters, digits or '-', starting with a letter or digit")
    if not name.strip() or len(name) > 200:
        out.append("name: 1–200 characters")
    return out


@dataclass(frozen=True)
class RoutingRule:
    """Quy tắc phân công: (locality, field) → unit, and optionally a default official."""

    locality_code: str
    field: str
    unit_code: str
    official_id: str = ""

    @property
    def id(self) -> str:
        return f"{self.locality_code}:{self.field}"


@dataclass(frozen=True)
class Routed:
    """Where a request goes, and the rule that sent it there (``fallback`` when none)."""

    unit_code: str
    official_id: str
    rule_id: str


FIELDS: tuple[str, ...] = tuple(DEFAULT_RULES)  # lĩnh vực: every field a request may have


def fields_by_unit(locality_code: str, rules: dict[str, RoutingRule],
                   active_units: set[str]) -> dict[str, list[str]]:
    """Which fields each unit handles now: where :func:`route` sends each field (so a rule
    whose unit is inactive counts for the fallback unit, as the requests do)."""
    out: dict[str, list[str]] = {}
    for field in FIELDS:
        out.setdefault(route(locality_code, field, rules, active_units).unit_code, []).append(field)
    return out


def route(locality_code: str, field: str, rules: dict[str, RoutingRule],
          active_units: set[str]) -> Routed:
    """The unit for a request of ``field`` in a locality: its rule's unit if that unit is
    active, else the People's Committee office (its head is the locality head)."""
    rule = rules.get(field)
    if rule is not None and rule.unit_code in active_units:
        return Routed(rule.unit_code, rule.official_id, rule.id)
    return Routed(FALLBACK_UNIT, "", "fallback")
