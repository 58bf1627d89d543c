"""The registry from the command line: units exported and imported as CSV (checked row by row,
never half-imported), routing rules set and listed — and a request routed by them."""
import csv
import io

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from giaitrinh_platform.cli import main
from tests.support.factories import migrated_runtime
from tests.unit.test_routing_case_actions import WARD, open_case, seed_ward


@pytest.fixture
def routing(bus, sqlite_url):
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus)
    seed_ward(runtime)
    yield runtime
    runtime.close()


def cli(runtime, *args, stdin=None):
    env = {"ROUTING_DATABASE_URL": str(runtime.storage.engine.url)}
    return CliRunner().invoke(main, ["routing", *args], env=env, input=stdin)


def test_a_new_ward_starts_with_its_units_and_rules_and_a_request_goes_to_the_rules_unit(routing):
    case_id = open_case(routing, field="justice")
    with routing.unit_of_work() as uow:
        case = uow.cases.get(case_id)
    assert (case.unit_code, case.routed_by) == ("tu-phap", f"{WARD}:justice")


def test_units_export_as_csv_and_import_back_unchanged(routing):
    exported = cli(routing, "units", "export", "--locality", WARD)
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert {r["code"] for r in rows} >= {"van-phong", "dia-chinh", "hdnd", "mttq", "ubkt"}
    again = cli(routing, "units", "import", "-", stdin=exported.output)
    assert again.exit_code == 0 and "0 added, 0 changed, 10 unchanged" in again.output


def test_a_file_with_a_bad_row_is_refused_whole_naming_each_line(routing):
    text = ("locality_code,code,name,kind,active\n"
            f"{WARD},moi-truong,Phòng Môi trường,handling,true\n"
            f"{WARD},Sai Mã!,,handling,maybe\n"
            "99999,ok,Đơn vị,handling,true\n"
            f"{WARD},moi-truong,Lặp lại,supervising,true\n")
    result = cli(routing, "units", "import", "-", stdin=text)
    assert result.exit_code == 1 and "nothing imported" in result.output
    for expected in ("Line 3: code:", "Line 3: name:", "Line 3: active:", "Line 4: locality_code:",
                     "Line 5: code:"):
        assert expected in result.output
    # Each in both languages, naming the file's column.
    assert "Line 3: name: A unit's name has 1 to 200 characters. / Dòng 3: name: Tên đơn vị từ 1 đến 200 ký tự." \
        in result.output
    assert "Line 3: active: true (open) or false (closed). / Dòng 3: active: Ghi true (đang hoạt động)" \
        in result.output
    assert "Line 4: locality_code: Locality '99999' is not registered. / " \
        "Dòng 4: locality_code: Địa bàn '99999' chưa được đăng ký." in result.output
    assert f"Line 5: code: Unit 'moi-truong' of {WARD} appears twice in the file. / " \
        f"Dòng 5: code: Đơn vị 'moi-truong' của địa bàn {WARD} xuất hiện hai lần trong tệp." in result.output


def test_a_row_with_missing_columns_or_an_unknown_kind_is_named_in_both_languages(routing):
    result = cli(routing, "units", "import", "-", stdin=(
        f"locality_code,code,name,kind\n{WARD},moi-truong,Phòng Môi trường,handling\n"))
    assert result.exit_code == 1 and "Line 2: Missing columns: active. / Dòng 2: Thiếu cột: active." in result.output
    result = cli(routing, "units", "import", "-", stdin=(
        f"locality_code,code,name,kind,active\n{WARD},moi-truong,Phòng Môi trường,phong-ban,true\n"))
    assert result.exit_code == 1 and "Line 2: kind: handling (handles requests) or supervising" in result.output
    assert "Dòng 2: kind: Ghi handling (đơn vị xử lý) hoặc supervising (cơ quan giám sát)." in result.output
    with routing.unit_of_work() as uow:
        assert "moi-truong" not in {u.code for u in uow.units.units_of(WARD)}


def test_a_closed_unit_sends_its_requests_to_the_committee_office(routing):
    text = f"locality_code,code,name,kind,active\n{WARD},tu-phap,Công chức Tư pháp – Hộ tịch,handling,false\n"
    assert cli(routing, "units", "import", "-", stdin=text).exit_code == 0
    case_id = open_case(routing, field="justice")
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).unit_code == "van-phong"


def test_rules_are_set_to_an_active_handling_unit_only_and_listed(routing):
    ok = cli(routing, "rules", "set", WARD, "environment", "dia-chinh", "--official", "u-7")
    assert ok.exit_code == 0
    assert "environment                  dia-chinh          u-7" in cli(routing, "rules", "list", WARD).output
    refused = cli(routing, "rules", "set", WARD, "environment", "mttq")
    assert refused.exit_code == 1 and "unit_code" in refused.output
    unknown_field = cli(routing, "rules", "set", WARD, "astrology", "dia-chinh")
    assert unknown_field.exit_code == 1 and "field" in unknown_field.output
    case_id = open_case(routing, field="environment")
    with routing.unit_of_work() as uow:
        case = uow.cases.get(case_id)
    assert (case.unit_code, case.official_id) == ("dia-chinh", "u-7")


def test_every_registry_change_is_in_the_audit_log(routing):
    cli(routing, "rules", "set", WARD, "environment", "dia-chinh")
    with routing.storage.engine.connect() as conn:
        entities = conn.execute(sa.text("SELECT entity || ':' || action FROM audit_log ORDER BY seq")).scalars().all()
    assert entities == ["locality:register", "rule:set"]
