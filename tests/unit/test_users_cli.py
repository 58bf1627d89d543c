"""``giaitrinh routing users|publishers|keys``: the first admin from the command line, passwords
never as arguments, the signing key written for its owner only."""
from __future__ import annotations

import stat

import pyotp
import pytest
from click.testing import CliRunner

from giaitrinh_common import migrations
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.cli import main
from giaitrinh_routing.bootstrap import bootstrap
from giaitrinh_routing.entrypoints.web import create_app
from giaitrinh_routing.settings import RoutingSettings

PASSWORD = "mật-khẩu đủ dài 2026"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The CLI reads routing's settings from the environment, as in a deployment."""
    values = {"GIAITRINH_DATA_DIR": str(tmp_path), "ROUTING_DATABASE_URL": f"sqlite:///{tmp_path}/routing.db"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    migrations.upgrade("giaitrinh_routing", values["ROUTING_DATABASE_URL"])
    return values


def run(*args, input=None):
    return CliRunner().invoke(main, ["routing", *args], input=input, catch_exceptions=False)


def test_keys_are_generated_once_with_the_private_one_readable_by_its_owner_only(env, tmp_path):
    first = run("keys", "generate")
    assert first.exit_code == 0 and "written" in first.output
    private, public = tmp_path / "keys" / "auth-private.pem", tmp_path / "keys" / "auth-public.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = private.read_bytes()
    assert "kept" in run("keys", "generate").output and private.read_bytes() == before
    assert "written" in run("keys", "generate", "--replace").output and private.read_bytes() != before


def test_the_first_provincial_admin_comes_from_the_cli_and_signs_in_with_totp(env):
    run("keys", "generate")
    added = run("users", "add", "admin-tinh", "--name", "Quản trị tỉnh", "--role", "provincial_admin",
                "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    uri = next(line for line in added.output.splitlines() if line.startswith("otpauth://totp/"))
    secret = pyotp.parse_uri(uri).secret
    runtime = bootstrap(RoutingSettings.from_env(), bus=InMemoryBus())
    try:
        client = create_app(runtime).test_client()
        resp = client.post("/api/v1/auth/token", json={"login": "admin-tinh", "password": PASSWORD,
                                                       "totp": pyotp.TOTP(secret).now()})
        assert resp.status_code == 200 and resp.json["principal"]["role"] == "provincial_admin"
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {resp.json['token']}"})
        assert me.json["name"] == "Quản trị tỉnh"
    finally:
        runtime.close()


def test_a_password_is_typed_twice_at_the_prompt_and_never_taken_as_an_argument(env):
    mismatch = run("users", "add", "can-bo", "--name", "A", "--role", "official", "--locality", "18880",
                   "--unit", "dia-chinh", input=f"{PASSWORD}\nsomething else 1\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output  # asked again, then taken
    as_argument = run("users", "add", "x-1", "--name", "A", "--role", "official", "--password", PASSWORD)
    assert as_argument.exit_code == 2 and "No such option" in as_argument.output
    listed = run("users", "list")
    assert "can-bo" in listed.output and "1 accounts" in listed.output
    assert PASSWORD not in listed.output


def test_an_account_breaking_the_rules_of_its_role_is_refused_naming_each_problem(env):
    result = CliRunner().invoke(main, ["routing", "users", "add", "A B", "--name", "A", "--role", "official",
                                       "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    for field in ("login", "localities", "unit_code", "password"):
        assert f"{field}:" in result.output


def test_disable_enable_and_reset_password(env):
    run("users", "add", "can-bo", "--name", "A", "--role", "official", "--locality", "18880", "--unit",
        "dia-chinh", "--password-stdin", input=PASSWORD + "\n")
    assert "disabled" in run("users", "disable", "can-bo").output
    assert '"disabled": true' in run("users", "list", "--json").output
    assert "enabled" in run("users", "enable", "can-bo").output
    assert '"disabled": false' in run("users", "list", "--json").output
    reset = run("users", "reset-password", "can-bo", "--password-stdin", input="một mật khẩu mới 2027\n")
    assert reset.exit_code == 0 and "reset" in reset.output
    unknown = CliRunner().invoke(main, ["routing", "users", "disable", "nobody"])
    assert unknown.exit_code == 1 and "no account" in unknown.output


def test_a_publishers_key_is_shown_once_and_listed_without_it(env):
    added = run("publishers", "add", "tong-dai-1022", "--locality", "18880")
    key = added.output.splitlines()[-1]
    assert key.startswith("gtk_")
    listed = run("publishers", "list").output
    assert "tong-dai-1022" in listed and key not in listed
    assert "disabled" in run("publishers", "disable", "tong-dai-1022").output
