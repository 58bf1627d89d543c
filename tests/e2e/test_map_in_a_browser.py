"""The submission form's map in Chromium: where the operator set a tile server (INTAKE_MAP_TILES),
a click on the map fills the latitude and longitude fields, the arrow keys move the pin, the
zoom buttons fetch the next zoom's tiles; when the tile server does not answer, the map says so
and steps aside, and the fields are the whole form again.

Intake's own app (a migrated SQLite file, in-memory bus) is served on a free port by a thread,
with the settings a deployment with a map has; the tile server is played by Chromium's request
routing, which answers each tile with a real PNG and counts what was asked. The gateway's CSP for
the tile origin is checked where the gateway is configured (tests/unit/test_gateway.py)."""
from __future__ import annotations

import io
import re
import threading

import pytest
from PIL import Image
from werkzeug.serving import make_server

from giaitrinh_common import migrations
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_intake.settings import IntakeSettings
from giaitrinh_platform import screenshots as shots
from giaitrinh_platform.services import SERVICES
from tests.support.accessibility import grave_violations
from tests.support.factories import LOCALITY, served_province, teach_registry

PHONE, DESKTOP = shots.VIEWPORTS
TILES = "https://tiles.example.vn/{z}/{x}/{y}.png"
CENTRE = (16.8163, 107.1003)  # the default: Đông Hà


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """intake's app with a map, on http://127.0.0.1:<port>."""
    url = f"sqlite:///{tmp_path_factory.mktemp('map') / 'intake.db'}"
    migrations.upgrade(SERVICES["intake"].package, url)
    settings = IntakeSettings.from_env({"INTAKE_DATABASE_URL": url, "INTAKE_MAP_TILES": TILES,
                                        "INTAKE_MAP_ATTRIBUTION": "© Bản đồ nền thử nghiệm"})
    runtime = SERVICES["intake"].bootstrap(settings=settings, bus=InMemoryBus())
    teach_registry(runtime, served_province("44"))
    server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    runtime.close()


def a_tile() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (220, 230, 210)).save(out, "PNG")
    return out.getvalue()


def step_two(page, portal) -> None:
    page.goto(f"{portal}/gui-yeu-cau?xa={LOCALITY}")
    page.get_by_label("Phản ánh, kiến nghị").check()
    page.get_by_label("Lĩnh vực").select_option("other")
    page.get_by_label("Tiêu đề").fill("Cây đổ chắn đường")
    page.get_by_label("Nội dung", exact=True).fill("Cây đổ chắn ngang đường từ sáng nay, xe không qua được.")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()


def degrees(page) -> tuple[float, float]:
    return float(page.get_by_label("Vĩ độ (không bắt buộc)").input_value()), \
        float(page.get_by_label("Kinh độ (không bắt buộc)").input_value())


def test_a_click_on_the_map_fills_the_coordinates_and_the_keys_and_zoom_move_it(browser, portal):
    asked: list[str] = []
    tile = a_tile()
    context = shots.new_context(browser, DESKTOP, bypass_csp=True)  # for axe's script only
    try:
        context.route("https://tiles.example.vn/**", lambda route: (
            asked.append(route.request.url), route.fulfill(status=200, content_type="image/png", body=tile)))
        page = context.new_page()
        step_two(page, portal)
        view = page.get_by_role("application")
        assert view.is_visible()
        assert page.get_by_text("© Bản đồ nền thử nghiệm").is_visible()
        assert asked and all(re.fullmatch(r"https://tiles\.example\.vn/15/\d+/\d+\.png", u) for u in asked)
        # Đông Hà at zoom 15 is in tile x 26132, y 14830 (Web Mercator): the map opens around it.
        assert "https://tiles.example.vn/15/26132/14830.png" in asked

        box = view.bounding_box()
        view.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
        latitude, longitude = degrees(page)
        assert abs(latitude - CENTRE[0]) < 0.0005 and abs(longitude - CENTRE[1]) < 0.0005
        view.press("ArrowRight")
        view.press("ArrowUp")
        moved = degrees(page)
        assert moved[1] > longitude and moved[0] > latitude  # east, then north
        assert page.locator(".map-picker__pin").is_visible()

        with page.expect_request(re.compile(r"https://tiles\.example\.vn/16/\d+/\d+\.png")):
            page.get_by_role("button", name="Phóng to").click()
        assert page.locator(".map-picker__tile").first.get_attribute("src").startswith("https://tiles.example.vn/16/")
        assert grave_violations(page) == []
    finally:
        context.close()


def test_without_the_tile_server_the_map_steps_aside_and_the_fields_are_the_form(browser, portal):
    context = shots.new_context(browser, PHONE)
    try:
        context.route("https://tiles.example.vn/**", lambda route: route.abort("connectionrefused"))
        page = context.new_page()
        step_two(page, portal)
        page.get_by_text("Không hiện được bản đồ", exact=False).wait_for()
        assert not page.get_by_role("application").is_visible()
        page.get_by_label("Vĩ độ (không bắt buộc)").fill("16.75")
        page.get_by_label("Kinh độ (không bắt buộc)").fill("107.18")
        assert degrees(page) == (16.75, 107.18)
    finally:
        context.close()
