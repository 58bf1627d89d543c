"""A locality's officials exported and imported as CSV from the command line: every row checked
first, a bad row named by its line number and nothing half-imported; a new login gets a random
first password that signs in; a provincial admin or another locality's unit never comes in."""
import csv
import io
import stat

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from giaitrinh_platform.cli import main
from giaitrinh_routing.domain.model import Locality
from giaitrinh_routing.entrypoints.auth import account_service
from giaitrinh_routing.service_layer.handlers import import_units, seed_localities
from tests.support.factories import migrated_runtime
from tests.support.signed_in import PASSWORD, open_session, signing_keys
from tests.unit.test_routing_case_actions import WARD, seed_ward

OTHER = "19999"
HEADER = "login,full_name,role,unit_code,email,phone,active\n"


@pytest.fixture
def routing(bus, sqlite_url, tmp_path):
    private, public = signing_keys(tmp_path)  # for signing in with a first password
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus, ROUTING_AUTH_PRIVATE_KEY=str(private),
                               GIAITRINH_AUTH_PUBLIC_KEY=str(public))
    seed_ward(runtime)
    with runtime.unit_of_work() as uow:  # a second ward with a unit of its own
        seed_localities(uow, [Locality(OTHER, "Xã Khác", "44", "xã")])
        import_units(uow, [{"locality_code": OTHER, "code": "moi-truong", "name": "Môi trường",
                            "kind": "handling", "active": "true"}], "test", runtime.now())
        uow.commit()
    yield runtime
    runtime.close()


def cli(runtime, *args, stdin=None):
    env = {"ROUTING_DATABASE_URL": str(runtime.storage.engine.url)}
    return CliRunner().invoke(main, ["routing", *args], env=env, input=stdin)


def accounts_of(runtime, locality=WARD):
    found, _total = account_service(runtime).accounts(0, 500, locality=locality)
    return {a.login: a for a in found}


def audit_actions(runtime):
    with runtime.storage.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT action FROM audit_log WHERE entity = 'account'"))]


GOOD = (HEADER
        + "can-bo.dc,Nguyễn Văn Địa,official,dia-chinh,dc@xa.gov.vn,0912 345 678,true\n"
        + "truong.tp,Trần Thị Tư,unit_head,tu-phap,,,true\n"
        + "gs.hdnd,Lê Giám Sát,supervisor,hdnd,,,false\n"
        + "chu-tich,Phạm Chủ Tịch,locality_head,,,+84987654321,true\n")


def test_new_officials_get_a_random_first_password_each_that_signs_in(routing):
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=GOOD)
    assert result.exit_code == 0, result.output
    passwords = {r["login"]: r["initial_password"]
                 for r in csv.DictReader(io.StringIO(result.stdout))}
    assert set(passwords) == {"can-bo.dc", "truong.tp", "gs.hdnd", "chu-tich"}
    assert len(set(passwords.values())) == 4
    made = accounts_of(routing)
    assert made["can-bo.dc"].phone == "+84912345678" and made["gs.hdnd"].body.value == "hdnd"
    assert made["gs.hdnd"].disabled and not made["chu-tich"].disabled
    grant = account_service(routing).sign_in("can-bo.dc", passwords["can-bo.dc"])
    assert grant.claims["role"] == "official" and grant.claims["unit"] == "dia-chinh"
    assert audit_actions(routing).count("account-add") == 4
    with routing.unit_of_work() as uow:  # account.changed for notify, one per account
        types = [r[0] for r in uow.session.execute(sa.text("SELECT payload FROM outbox"))]
    assert sum("account.changed" in str(t) for t in types) == 4


def test_export_then_import_changes_nothing_and_never_carries_a_secret(routing):
    assert cli(routing, "users", "import", "--locality", WARD, "-", stdin=GOOD).exit_code == 0
    exported = cli(routing, "users", "export", "--locality", WARD)
    assert exported.exit_code == 0 and exported.stdout.startswith(HEADER)
    assert "argon2" not in exported.stdout and len(exported.stdout.splitlines()) == 5
    before = {login: vars(a).copy() for login, a in accounts_of(routing).items()}
    again = cli(routing, "users", "import", "--locality", WARD, "-", stdin=exported.stdout)
    assert again.exit_code == 0 and "0 added, 0 changed, 4 unchanged" in again.output
    assert again.stdout == ""  # no new login, no password
    assert {login: vars(a) for login, a in accounts_of(routing).items()} == before


def test_an_existing_official_is_changed_by_the_row_and_the_change_audited(routing):
    assert cli(routing, "users", "import", "--locality", WARD, "-", stdin=GOOD).exit_code == 0
    changed = HEADER + "can-bo.dc,Nguyễn Văn Địa,unit_head,tu-phap,,0912345678,false\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=changed)
    assert result.exit_code == 0 and "0 added, 1 changed, 0 unchanged" in result.output
    account = accounts_of(routing)["can-bo.dc"]
    assert (account.role.value, account.unit_code, account.email, account.disabled) == (
        "unit_head", "tu-phap", None, True)
    assert "account-import-change" in audit_actions(routing)


def test_a_file_with_one_bad_row_is_refused_whole_naming_its_line(routing):
    text = GOOD + "Sai Login!,Ai Đó,official,dia-chinh,khong-phai-email,123,maybe\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=text)
    assert result.exit_code != 0 and "nothing imported" in result.output
    for expected in ("Line 6: login:", "Line 6: email:", "Line 6: phone:", "Line 6: active:"):
        assert expected in result.output
    # Each in both languages, the active column's rule too (once only said in English).
    assert "Line 6: active: true (serving) or false (disabled). / Dòng 6: active: Ghi true" in result.output
    assert "Line 6: email: Not an email address" in result.output and "Dòng 6: email: Địa chỉ email" in result.output
    assert "Line 2" not in result.output and accounts_of(routing) == {}
    assert audit_actions(routing) == []


def test_a_row_problem_names_the_column_as_the_file_spells_it_in_both_languages(routing):
    text = HEADER + "khong-ten,  ,supervisor,ubnd,,,true\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=text)
    assert result.exit_code != 0
    assert "Line 2: full_name: A name of 1 to 200 characters. / Dòng 2: full_name: Họ tên từ 1 đến 200 ký tự." \
        in result.output
    assert "Line 2: unit_code: The body is one of: hdnd, mttq, ubkt." in result.output  # a supervisor's body
    assert "display_name" not in result.output and "body:" not in result.output


def test_a_provincial_admin_never_comes_in_from_a_file(routing):
    text = HEADER + "quan-tri,Quản Trị,provincial_admin,,,,true\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=text)
    assert result.exit_code != 0 and "Line 2: role: The role is one of: official" in result.output
    assert "Dòng 2: role: Vai trò là một trong: official" in result.output
    assert account_service(routing).accounts()[1] == 0


def test_a_unit_of_another_locality_or_a_login_serving_one_is_refused(routing):
    elsewhere = HEADER + "can-bo.mt,Võ Môi Trường,official,moi-truong,,,true\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=elsewhere)
    assert result.exit_code != 0 and f"Line 2: unit_code: 'moi-truong' is not a unit of {WARD}" in result.output
    assert f"Dòng 2: unit_code: 'moi-truong' không phải đơn vị của {WARD}" in result.output
    assert cli(routing, "users", "import", "--locality", OTHER, "-", stdin=elsewhere).exit_code == 0
    taken = HEADER + "can-bo.mt,Võ Môi Trường,official,dia-chinh,,,true\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=taken)
    assert result.exit_code != 0 and "Line 2: login: 'can-bo.mt' belongs to another locality" in result.output
    assert accounts_of(routing, OTHER)["can-bo.mt"].unit_code == "moi-truong"


def test_officials_of_a_locality_not_registered_are_refused_in_both_languages(routing):
    result = cli(routing, "users", "import", "--locality", "99999", "-", stdin=GOOD)
    assert result.exit_code != 0 and "Line 1: Locality '99999' is not registered. / " \
        "Dòng 1: Địa bàn '99999' chưa được đăng ký." in result.output


def test_a_login_twice_in_a_file_is_refused(routing):
    text = GOOD + "can-bo.dc,Khác,official,dia-chinh,,,true\n"
    result = cli(routing, "users", "import", "--locality", WARD, "-", stdin=text)
    assert result.exit_code != 0 and "Line 6: login: 'can-bo.dc' appears twice" in result.output


def test_initial_passwords_go_to_a_file_readable_by_its_owner_only(routing, tmp_path):
    target = tmp_path / "mat-khau.csv"
    result = cli(routing, "users", "import", "--locality", WARD, "--passwords", str(target), "-", stdin=GOOD)
    assert result.exit_code == 0 and result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("login,initial_password\n") and len(target.read_text().splitlines()) == 5


def test_the_import_explains_itself():
    text = " ".join(CliRunner().invoke(main, ["routing", "users", "import", "--help"]).output.split())
    assert "line number" in text and "provincial_admin" in text and "--passwords" in text


def test_the_admin_page_exports_the_officials_of_its_locality_only(routing):
    from giaitrinh_routing.entrypoints.web import create_app

    accounts = account_service(routing)
    assert cli(routing, "users", "import", "--locality", WARD, "-", stdin=GOOD).exit_code == 0
    accounts.add(login="chu-tich.khac", display_name="Chủ tịch xã khác", role="locality_head",
                 localities={OTHER}, unit_code=None, body=None, password=PASSWORD)
    client = create_app(routing).test_client()
    open_session(client, "chu-tich.khac")
    page = client.get(f"/console/admin/dia-ban/{OTHER}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f"/console/admin/dia-ban/{OTHER}/can-bo.csv" in page
    own = client.get(f"/console/admin/dia-ban/{OTHER}/can-bo.csv")
    assert own.status_code == 200 and own.mimetype == "text/csv"
    assert own.get_data(as_text=True) == HEADER + "chu-tich.khac,Chủ tịch xã khác,locality_head,,,,true\n"
    assert client.get(f"/console/admin/dia-ban/{WARD}/can-bo.csv").status_code == 404  # another locality's
