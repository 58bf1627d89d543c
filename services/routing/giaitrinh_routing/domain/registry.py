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
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from giaitrinh_routing.domain.case import Problem


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


def problems_with_unit(code: str, name: str) -> list[Problem]:
    """What is wrong with a unit's code and name (empty when nothing), each naming its field."""
    out = []
    if not _CODE.match(code):
        out.append(Problem("code", "invalid_code",
                           "Mã đơn vị gồm 1–40 ký tự: chữ thường không dấu, chữ số hoặc '-', "
                           "bắt đầu bằng chữ hoặc số.",
                           "1–40 lowercase letters, digits or '-', starting with a letter or digit."))
    if not name.strip() or len(name) > 200:
        out.append(Problem("name", "required", "Tên đơn vị từ 1 đến 200 ký tự.",
                           "A unit's name has 1 to 200 characters."))
    return out


# -- units as CSV (``giaitrinh routing units export|import``, the admin page) ---------------------
UNIT_COLUMNS = ("locality_code", "code", "name", "kind", "active")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def missing_columns(row: dict, columns: Iterable[str]) -> Problem | None:
    """The columns of an imported file's ``row`` that its file lacks (a short row, or no such
    header), as a problem of the row as a whole; None when it has them all."""
    missing = [c for c in columns if c not in row or row[c] is None]
    if not missing:
        return None
    return Problem("", "missing_columns", "Thiếu cột: " + ", ".join(missing) + ".",
                   "Missing columns: " + ", ".join(missing) + ".")


def unit_rows(rows: Iterable[dict[str, str]],
              known_localities: set[str]) -> tuple[list[Unit], list[tuple[int, Problem]]]:
    """Check every row of a units file (:data:`UNIT_COLUMNS`) by the rules one unit keeps
    (:func:`problems_with_unit`) and a file's own: a registered locality (one of
    ``known_localities``), a kind and an active flag the registry knows, each unit once. Returns
    the good rows as units and each problem as (line, :class:`Problem`), its field the column as
    the file spells it ("" for the row as a whole); line numbers count the header as line 1."""
    parsed: list[Unit] = []
    problems: list[tuple[int, Problem]] = []
    seen: set[tuple[str, str]] = set()
    kinds = {k.value for k in UnitKind}
    for line, row in enumerate(rows, start=2):
        missing = missing_columns(row, UNIT_COLUMNS)
        if missing:
            problems.append((line, missing))
            continue
        locality, code, name, kind, active = (row[c].strip() for c in UNIT_COLUMNS)
        errors = problems_with_unit(code, name)
        if locality not in known_localities:
            errors.append(Problem("locality_code", "unknown_locality", f"Địa bàn {locality!r} chưa được đăng ký.",
                                  f"Locality {locality!r} is not registered."))
        if kind not in kinds:
            errors.append(Problem("kind", "invalid_choice",
                                  "Ghi handling (đơn vị xử lý) hoặc supervising (cơ quan giám sát).",
                                  "handling (handles requests) or supervising (a supervising body)."))
        if active.lower() not in _TRUE | _FALSE:
            errors.append(Problem("active", "invalid_choice", "Ghi true (đang hoạt động) hoặc false (ngừng hoạt động).",
                                  "true (open) or false (closed)."))
        if (locality, code) in seen:
            errors.append(Problem("code", "duplicate",
                                  f"Đơn vị {code!r} của địa bàn {locality} xuất hiện hai lần trong tệp.",
                                  f"Unit {code!r} of {locality} appears twice in the file."))
        seen.add((locality, code))
        problems += [(line, e) for e in errors]
        if not errors:
            parsed.append(Unit(locality, code, name, UnitKind(kind), active.lower() in _TRUE))
    return parsed, problems


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
