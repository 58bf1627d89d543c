"""`giaitrinh deadline …` tells anyone the deadline the platform applies."""
import json

from click.testing import CliRunner

from giaitrinh_platform.cli import main


def run(*args):
    return CliRunner().invoke(main, ["deadline", *args])


def test_each_command_prints_the_iso_date_and_nothing_else():
    assert run("accept", "2026-02-12").output == "2026-02-26\n"  # across Tết
    assert run("explain", "2026-10-17").output == "2026-11-02\n"  # 1 Nov is a Sunday
    assert run("extend", "2026-11-17", "--days", "7").output == "2026-11-25\n"  # 24 Nov is a day off
    assert run("accept", "2026-11-06", "--kind", "feedback").output == "2026-11-13\n"


def test_json_shows_the_working_days_skipped_and_why():
    result = run("accept", "2026-02-12", "--json")
    working = json.loads(result.output)
    assert working["deadline"] == "2026-02-26" and working["rule_set"] == "nd59-2019-giai-trinh"
    skipped = {d["day"]: d["why"] for d in working["skipped"]}
    assert skipped["2026-02-17"] == "Tết Nguyên Đán" and skipped["2026-02-14"] == "Thứ Bảy"


def test_an_extension_beyond_the_rule_set_is_refused():
    result = run("extend", "2026-11-17", "--days", "16")
    assert result.exit_code == 2 and "1 to 15" in result.output


def test_a_date_that_is_not_a_date_is_refused():
    result = run("accept", "28/11/2026")
    assert result.exit_code == 2 and "Invalid value" in result.output
