"""The input rules every service's web API keeps (docs/ARCHITECTURE.md, "Web conventions"):
bounded whole numbers in queries, tracking codes read as intake reads them, locality codes and
periods that exist, a body limit with its 413, all answered in the bilingual error format."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from giaitrinh_common import tracking_codes
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.settings import SettingError
from giaitrinh_intake.domain.tracking import new_tracking_code
from giaitrinh_notify.domain.messages import Notification
from giaitrinh_platform.services import SERVICES
from giaitrinh_routing.domain.model import Locality
from tests.support.factories import migrated_runtime

NOV_2026 = datetime(2026, 11, 23, 8, tzinfo=UTC).timestamp()


@pytest.fixture
def app_of(sqlite_url):
    runtimes = []

    def build(service: str, **env):
        runtime = migrated_runtime(service, sqlite_url(service), InMemoryBus(), **env)
        runtime.clock = lambda: NOV_2026
        runtimes.append(runtime)
        return runtime, SERVICES[service].create_app(runtime).test_client()

    yield build
    for runtime in runtimes:
        runtime.close()


def assert_bilingual_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.json["error"]
    assert error["code"] == code
    assert error["message"]["vi"] and error["message"]["en"]
    assert all(d["message"]["vi"] and d["message"]["en"] for d in error["details"])
    return error


# -- routing: paging ---------------------------------------------------------------------------
@pytest.fixture
def routing(app_of):
    runtime, client = app_of("routing")
    with runtime.unit_of_work() as uow:
        for code in ("4", "8", "18880"):
            uow.localities.add(Locality(code, f"Phường {code}", "1" if code != "18880" else "44", "phường"))
        uow.commit()
    return client


@pytest.mark.parametrize("query, parameter", [
    ("page=9223372036854775807", "page"),  # was an OverflowError in SQLite's OFFSET: a 500
    ("page=100001", "page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=%D9%A2", "page"),  # Arabic-Indic two: int() reads it, the rule does not
    ("page=+2", "page"),
    ("page=1_0", "page"),
    ("page=%201", "page"),
    ("per_page=501", "per_page"),
    ("per_page=0", "per_page"),
    ("per_page=1e3", "per_page"),
])
def test_paging_takes_only_ascii_whole_numbers_within_bounds(routing, query, parameter):
    error = assert_bilingual_error(routing.get(f"/api/v1/localities?{query}"), 400, "invalid_paging")
    assert [d["field"] for d in error["details"]] == [parameter]


def test_the_last_page_allowed_answers_an_empty_page(routing):
    resp = routing.get("/api/v1/localities?page=100000&per_page=500")
    assert resp.status_code == 200 and resp.json["items"] == [] and resp.json["total"] == 3


def test_a_province_filter_is_a_province_code(routing):
    assert [x["code"] for x in routing.get("/api/v1/localities?province=01").json["items"]] == ["4", "8"]
    assert routing.get("/api/v1/localities?province=44").json["total"] == 1
    for bad in ("abc", "123", "%D9%A4%D9%A4", "4%204"):
        assert_bilingual_error(routing.get(f"/api/v1/localities?province={bad}"), 400, "invalid_parameter")


def test_unknown_query_parameters_are_ignored(routing):
    assert routing.get("/api/v1/localities?pge=2&utm_source=zalo").json["page"] == 1


# -- scoring: locality and period ----------------------------------------------------------------
def test_scoring_answers_404_for_a_code_that_names_no_commune_or_ward(app_of):
    _runtime, client = app_of("scoring")
    assert client.get("/api/v1/localities/18880/indicators").status_code == 200
    for code in ("99999", "0", "018880", "hello", "%D9%A1%D9%A8", "1" * 50):
        assert_bilingual_error(client.get(f"/api/v1/localities/{code}/indicators"), 404, "unknown_locality")


@pytest.mark.parametrize("period", ["%D9%A2%D9%A0%D9%A2%D9%A6", "1999", "2027", "0000", "20266", "2026%0A"])
def test_a_period_is_a_year_in_ascii_digits_up_to_this_year(app_of, period):
    _runtime, client = app_of("scoring")
    error = assert_bilingual_error(client.get(f"/api/v1/localities/18880/indicators?period={period}"),
                                   400, "invalid_period")
    assert "2026" in error["message"]["en"]


def test_a_past_period_and_this_year_are_answered(app_of):
    _runtime, client = app_of("scoring")
    assert client.get("/api/v1/localities/18880/indicators?period=2000").json["period"] == "2000"
    assert client.get("/api/v1/localities/18880/indicators").json["period"] == "2026"


# -- notify: tracking codes read as intake reads them --------------------------------------------
def test_notifys_inbox_reads_a_tracking_code_as_intake_does(app_of):
    runtime, client = app_of("notify")
    code = new_tracking_code()
    with runtime.unit_of_work() as uow:
        uow.inbox_messages.add(Notification("r-1", code, "received", "Đã tiếp nhận yêu cầu", "…",
                                            datetime(2026, 11, 23, tzinfo=UTC)))
        uow.commit()
    typed = " " + code.lower().replace("0", "o").replace("1", "l") + " "
    resp = client.get(f"/api/v1/inbox/{typed}")
    assert resp.json["tracking_code"] == code and len(resp.json["items"]) == 1
    assert assert_bilingual_error(client.get("/api/v1/inbox/hello"), 400,
                                  "invalid_tracking_code")["details"][0]["code"] == "malformed"
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    error = assert_bilingual_error(client.get(f"/api/v1/inbox/{wrong}"), 400, "invalid_tracking_code")
    assert error["details"][0]["code"] == "wrong_check_symbol"


def test_every_code_intake_issues_is_one_the_shared_form_accepts_and_any_typo_is_caught():
    for _ in range(200):
        code = new_tracking_code()
        assert tracking_codes.fault_of(code) is None
        assert tracking_codes.fault_of(code[:-1] + ("Z" if code[-1] != "Z" else "Y")) == "wrong_check_symbol"
    assert tracking_codes.fault_of("GT-0000-0000-0\n") == "malformed"
    assert tracking_codes.fault_of("GT-0000-0000-0" + " " * 100) == "malformed"


# -- every service: the body limit --------------------------------------------------------------
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_refuses_a_body_over_its_limit_with_413(app_of, service):
    _runtime, client = app_of(service, **{f"{service.upper()}_MAX_BODY_BYTES": "1000"})
    for path in ("/healthz", "/api/v1/no-such-thing"):
        resp = client.post(path, data=b"x" * 1001, content_type="application/json")
        assert_bilingual_error(resp, 413, "too_large")
    assert client.get("/healthz", data=b"x" * 1000).status_code == 200


@pytest.mark.parametrize("value", ["lots", "0", "-5"])
def test_the_body_limit_setting_must_be_a_positive_whole_number(value):
    with pytest.raises(SettingError, match="SCORING_MAX_BODY_BYTES"):
        SERVICES["scoring"].settings({"SCORING_MAX_BODY_BYTES": value})


def test_the_default_body_limit_is_one_mebibyte():
    assert SERVICES["notify"].settings({}).max_body_bytes == 1024 * 1024


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_method_not_allowed_says_which_are(app_of, service):
    _runtime, client = app_of(service)
    resp = client.delete("/healthz")
    assert_bilingual_error(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]
