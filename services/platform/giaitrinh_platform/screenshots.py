"""Pictures of the main pages at a phone's and a desktop's width (``giaitrinh screenshots``,
``make screenshots``), for the README and for a person to look at before a page is called done.

It drives Debian's Chromium (``/usr/bin/chromium``, installed by ``bootstrap.sh --test``) with
Playwright, which is told where that browser is and never downloads one. The e2e tier uses the
same :func:`launch` and :data:`VIEWPORTS`, and runs :func:`take` once against its platform.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool


# A mid-range phone (the width of most phones sold in Vietnam today) and a laptop.
VIEWPORTS = (Viewport("phone", 390, 844, True), Viewport("desktop", 1280, 800, False))

# A request that shows the tracking page at work: no personal data, in a real ward.
SAMPLE_REQUEST = {
    "kind": "feedback", "field": "environment", "locality_code": "19351",  # Phường Nam Đông Hà
    "title": "Đèn đường hỏng trên đường Lê Duẩn",
    "content": "Ba cột đèn đường trước số 120 Lê Duẩn không sáng từ đầu tháng.",
}


def main_pages(tracking_code: str) -> dict[str, str]:
    """The pages pictured, by the name of their picture (the gateway's paths)."""
    return {
        "home": "/",
        "home-en": "/?lang=en",
        "track": f"/tra-cuu?ma={tracking_code}",
        "track-mistyped": "/tra-cuu?ma=GT-0000-0000-1",
        "communes": "/xa-phuong",
        "communes-search": "/xa-phuong?q=nam+dong+ha",
        "submit": "/gui-yeu-cau?xa=19351",  # the submission form's first step, for Phường Nam Đông Hà
        "join": f"/cung-kien-nghi?ma={tracking_code}",
        "error": "/khong-co-trang-nay",
        "console-sign-in": "/console/dang-nhap",  # the officials' front door
    }


class ScreenshotError(RuntimeError):
    """Chromium or Playwright is missing, or the platform does not answer."""


@contextmanager
def launch(*, headless: bool = True) -> Iterator[Any]:
    """One headless Chromium (Debian's) under Playwright, closed on leaving."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a test dependency: bootstrap.sh --test installs it
        raise ScreenshotError("Playwright is not installed: run `bash deploy/scripts/bootstrap.sh --test`") from exc
    if not CHROMIUM.exists():
        raise ScreenshotError(f"{CHROMIUM} is missing: run `bash deploy/scripts/bootstrap.sh --test` "
                              "(it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=headless)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Any, viewport: Viewport, **options: Any) -> Any:
    """A browser context of that size, in Vietnamese (Accept-Language: vi-VN) and its time zone."""
    return browser.new_context(viewport={"width": viewport.width, "height": viewport.height},
                               is_mobile=viewport.mobile, has_touch=viewport.mobile, device_scale_factor=1,
                               locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)


def submit_sample_request(base_url: str, *, wait_registered: float = 30.0) -> str:
    """Submit :data:`SAMPLE_REQUEST` through the gateway's API and return its tracking code,
    once routing has registered it (so the timeline shows more than one step), or after
    ``wait_registered`` seconds."""
    body = json.dumps(SAMPLE_REQUEST).encode("utf-8")
    req = urllib.request.Request(urljoin(base_url, "/intake/api/v1/requests"), data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            code = json.load(resp)["tracking_code"]
    except (urllib.error.URLError, OSError) as exc:
        raise ScreenshotError(f"the platform at {base_url} does not answer ({exc}); start it with `make run`") from exc
    deadline = time.monotonic() + wait_registered
    while time.monotonic() < deadline:
        with urllib.request.urlopen(urljoin(base_url, f"/intake/api/v1/requests/{code}"), timeout=10) as resp:
            if json.load(resp)["status"] != "submitted":
                break
        time.sleep(0.5)
    return code


def take(browser: Any, base_url: str, out_dir: Path, tracking_code: str) -> list[Path]:
    """Write ``<page>-<viewport>.png`` of every main page into ``out_dir``: the whole page,
    as a browser without extensions shows it. Returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for viewport in VIEWPORTS:
        for name, path in main_pages(tracking_code).items():
            context = new_context(browser, viewport)  # a fresh one: no language cookie carried over
            try:
                page = context.new_page()
                page.goto(urljoin(base_url, path), wait_until="load")
                target = out_dir / f"{name}-{viewport.name}.png"
                page.screenshot(path=str(target), full_page=True, animations="disabled")
                written.append(target)
            finally:
                context.close()
    return written
