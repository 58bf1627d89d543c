"""The pages' shell (giaitrinh_common.ui) on intake's app: the language of a page and its
switch, Vietnamese dates, HTML error pages for browsers and JSON for programs, decided in one
place, and no inline script or style anywhere (the gateway's Content-Security-Policy)."""
import re
from datetime import UTC, datetime

import pytest

from giaitrinh_common import migrations
from giaitrinh_common.ui import LANGUAGE_COOKIE
from giaitrinh_common.ui.shell import STATIC_ROOT, long_date, long_datetime
from giaitrinh_common.web import standard_error_document
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.services import SERVICES
from tests.support.factories import served_province, teach_registry

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGES = ("/", "/tra-cuu", "/tra-cuu?ma=GT-0000-0000-0", "/xa-phuong", "/xa-phuong?q=dong", "/no-such-page")


@pytest.fixture
def app(bus, sqlite_url):
    url = sqlite_url("intake")
    migrations.upgrade(SERVICES["intake"].package, url)
    rt = SERVICES["intake"].bootstrap(settings=SERVICES["intake"].settings({"INTAKE_DATABASE_URL": url}), bus=bus)
    teach_registry(rt, served_province("44"))  # what routing's registry publishes when seeded
    yield create_app(rt)
    rt.close()


@pytest.fixture
def client(app):
    return app.test_client()


def lang_of(resp) -> str:
    return re.search(r'<html lang="([a-z]+)">', resp.get_data(as_text=True)).group(1)


def test_a_page_is_in_vietnamese_unless_the_browser_prefers_english(client):
    assert lang_of(client.get("/", headers=BROWSER)) == "vi"
    assert lang_of(client.get("/", headers={**BROWSER, "Accept-Language": "fr, vi;q=0.5"})) == "vi"
    english = client.get("/", headers={**BROWSER, "Accept-Language": "en-GB,en;q=0.9"})
    assert lang_of(english) == "en" and "Submit and track requests for accountability" in english.text
    assert lang_of(client.get("/", headers={**BROWSER, "Accept-Language": "fr"})) == "vi"


def test_the_language_switch_is_remembered_and_wins_over_accept_language(client):
    switched = client.get("/xa-phuong?q=dong&lang=en", headers={**BROWSER, "Accept-Language": "vi"})
    assert lang_of(switched) == "en"
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en;") and "Max-Age=31536000" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    # Later pages, without the parameter, stay in English (the test client keeps the cookie).
    later = client.get("/", headers={**BROWSER, "Accept-Language": "vi"})
    assert lang_of(later) == "en" and "Set-Cookie" not in later.headers
    assert "Accept-Language" in later.headers["Vary"] and "Cookie" in later.headers["Vary"]
    # The switch back keeps the page's other parameters.
    assert 'href="/xa-phuong?q=dong&amp;lang=vi"' in client.get("/xa-phuong?q=dong", headers=BROWSER).text
    assert lang_of(client.get("/?lang=vi", headers=BROWSER)) == "vi"
    assert lang_of(client.get("/?lang=xx", headers=BROWSER)) == "vi"  # unknown: the cookie's


def test_dates_and_numbers_read_the_vietnamese_way(app):
    at = datetime(2026, 11, 28, 5, 25, tzinfo=UTC)  # 12:25 in Vietnam
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        assert long_date(at) == "28 tháng 11, 2026"
        assert long_datetime(at) == "12:25 28 tháng 11, 2026"
        assert app.jinja_env.filters["decimalformat"](1234567.5) == "1.234.567,5"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert long_datetime(at) == "November 28, 2026, 12:25\u202fPM"


def test_a_browser_gets_an_error_as_a_bilingual_page_with_the_same_code(client):
    resp = client.get("/no-such-page", headers=BROWSER)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    code, vi, en = "not_found", *standard_error_document(404)["error"]["message"].values()
    assert code in resp.text and vi in resp.text and en in resp.text
    assert 'lang="en"' in resp.text  # the other language is marked as such


def test_a_program_gets_the_json_body_at_the_same_address(client):
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}):
        resp = client.get("/no-such-page", headers=headers)
        assert resp.status_code == 404 and resp.json == standard_error_document(404)


def test_api_errors_stay_json_even_for_a_browser(client):
    for path in ("/api/v1/requests/GT-0000", "/api/v1/no-such", "/open311/no-such"):
        resp = client.get(path, headers=BROWSER)
        assert resp.mimetype == "application/json", path
        assert set(resp.json["error"]) == {"code", "message", "details"}


def test_a_405_page_still_says_what_is_allowed(client):
    resp = client.post("/xa-phuong", headers=BROWSER)
    assert resp.status_code == 405 and resp.mimetype == "text/html" and resp.headers["Allow"]


def test_the_shared_files_are_served_on_the_services_own_port_with_cache_headers(client):
    with client.get("/static/giaitrinh.css") as resp:  # a file answer: closed when read
        assert resp.status_code == 200 and resp.data == (STATIC_ROOT / "giaitrinh.css").read_bytes()
        assert "max-age=3600" in resp.headers["Cache-Control"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_holds_an_inline_script_or_style(client, path):
    html = client.get(path, headers=BROWSER).text
    assert "<script" not in html and "<style" not in html
    assert not re.search(r"\sstyle\s*=", html) and not re.search(r"\son[a-z]+\s*=", html)
    # Everything a page loads is the platform's own.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_shell_a_skip_link_a_main_landmark_and_a_language_switch(client, path):
    html = client.get(path, headers=BROWSER).text
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert 'hreflang="en"' in html and 'aria-current="true" lang="vi"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_every_console_table_keeps_words_whole_and_scrolls_in_a_focusable_named_box():
    # One rule for every table: a cell never breaks inside a word ("Nguy|ễn" on a phone) ...
    css = (STATIC_ROOT / "giaitrinh.css").read_text()
    cell_rules = re.findall(r"\.data-table td \{([^}]*)\}", css)
    assert cell_rules and all("anywhere" not in rule for rule in cell_rules)
    # ... so a wide table scrolls in its box, which a keyboard reaches and a screen reader names.
    services_root = STATIC_ROOT.parents[2]  # services/common/giaitrinh_common/static
    templates = [path for name, service in SERVICES.items()
                 for path in (services_root / name / service.package).rglob("*.html")]
    tables = 0
    for path in templates:
        page = path.read_text()
        for found in re.finditer(r"<table\b", page):
            tables += 1
            box = page[:found.start()].rsplit("<div", 1)[-1]
            assert 'class="table-scroll"' in box, f"{path.name}: a table outside a .table-scroll box"
            assert 'tabindex="0"' in box and 'role="region"' in box, f"{path.name}: its box is not focusable"
            label = re.search(r'aria-labelledby="([^"]+)"', box)
            assert label or "aria-label=" in box, f"{path.name}: its box has no name"
            if label and "{{" not in label.group(1):
                assert f'id="{label.group(1)}"' in page, f"{path.name}: names its box by a missing id"
    assert tables >= 6
