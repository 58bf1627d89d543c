"""Which unit handles a request: the locality's rule for its field, or the office of the
People's Committee when there is none (or its unit is closed)."""
from giaitrinh_routing.domain.registry import (
    DEFAULT_RULES,
    DEFAULT_UNITS,
    FALLBACK_UNIT,
    RoutingRule,
    UnitKind,
    default_units,
    problems_with_unit,
    route,
    unit_rows,
)

WARD = "18880"


def test_every_locality_starts_with_its_handling_units_and_its_three_supervising_bodies():
    units = default_units(WARD)
    assert {u.code for u in units if u.kind is UnitKind.SUPERVISING} == {"hdnd", "mttq", "ubkt"}
    assert FALLBACK_UNIT in {u.code for u in units if u.kind is UnitKind.HANDLING}
    assert all(u.locality_code == WARD for u in units)


def test_every_field_of_the_contract_has_a_default_unit_that_handles_requests():
    import json
    from importlib import resources

    schema = json.loads(resources.files("giaitrinh_common.contracts").joinpath(
        "schemas/vn.giaitrinh.request.submitted.v1.json").read_text("utf-8"))
    handling = {code for code, _, kind in DEFAULT_UNITS if kind is UnitKind.HANDLING}
    assert set(DEFAULT_RULES) == set(schema["properties"]["field"]["enum"])
    assert set(DEFAULT_RULES.values()) <= handling


def test_a_request_goes_to_the_unit_of_its_fields_rule_and_records_the_rule():
    rules = {"land": RoutingRule(WARD, "land", "dia-chinh", "u-7")}
    routed = route(WARD, "land", rules, {"dia-chinh", FALLBACK_UNIT})
    assert (routed.unit_code, routed.official_id, routed.rule_id) == ("dia-chinh", "u-7", "18880:land")


def test_a_field_without_a_rule_or_with_a_closed_unit_falls_back_to_the_committee_office():
    rules = {"land": RoutingRule(WARD, "land", "dia-chinh")}
    assert route(WARD, "health", rules, {"dia-chinh"}).unit_code == FALLBACK_UNIT
    closed = route(WARD, "land", rules, {FALLBACK_UNIT})
    assert (closed.unit_code, closed.rule_id) == (FALLBACK_UNIT, "fallback")


def test_a_unit_code_is_a_short_slug_and_a_name_is_required():
    assert problems_with_unit("dia-chinh", "Địa chính") == []
    assert [(p.field, p.code) for p in problems_with_unit("Địa Chính!", "")] == \
        [("code", "invalid_code"), ("name", "required")]


def test_each_problem_of_a_units_file_names_its_line_and_column_with_its_code_in_both_languages():
    def row(locality=WARD, code="moi-truong", name="Phòng Môi trường", kind="handling", active="true"):
        return {"locality_code": locality, "code": code, "name": name, "kind": kind, "active": active}

    good, problems = unit_rows([row(), row(code="Sai Mã!", name=" ", kind="khac", active="maybe"),
                                row(locality="99999", code="ok"), row(name="Lặp lại", kind="supervising"),
                                {"locality_code": WARD, "code": "thieu-cot"}], known_localities={WARD})
    assert [(u.code, u.kind, u.active) for u in good] == [("moi-truong", UnitKind.HANDLING, True)]
    assert [(line, p.field, p.code, p.vi, p.en) for line, p in problems] == [
        (3, "code", "invalid_code",
         "Mã đơn vị gồm 1–40 ký tự: chữ thường không dấu, chữ số hoặc '-', bắt đầu bằng chữ hoặc số.",
         "1–40 lowercase letters, digits or '-', starting with a letter or digit."),
        (3, "name", "required", "Tên đơn vị từ 1 đến 200 ký tự.", "A unit's name has 1 to 200 characters."),
        (3, "kind", "invalid_choice", "Ghi handling (đơn vị xử lý) hoặc supervising (cơ quan giám sát).",
         "handling (handles requests) or supervising (a supervising body)."),
        (3, "active", "invalid_choice", "Ghi true (đang hoạt động) hoặc false (ngừng hoạt động).",
         "true (open) or false (closed)."),
        (4, "locality_code", "unknown_locality", "Địa bàn '99999' chưa được đăng ký.",
         "Locality '99999' is not registered."),
        (5, "code", "duplicate", f"Đơn vị 'moi-truong' của địa bàn {WARD} xuất hiện hai lần trong tệp.",
         f"Unit 'moi-truong' of {WARD} appears twice in the file."),
        (6, "", "missing_columns", "Thiếu cột: name, kind, active.", "Missing columns: name, kind, active."),
    ]
