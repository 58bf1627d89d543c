"""Console pages in the e2e tier's one browser (tests/e2e/conftest.py): a context signed in as
someone, and what every page a test opens there must be — the gateway's Content-Security-Policy
kept, the shared stylesheet applied, nothing wider than the screen — and its picture.

axe-core's check is :func:`tests.support.accessibility.grave_violations`, in a context opened with
``bypass_csp=True`` (its script is the test's, not the page's); the checks here need a context
that keeps the CSP, so a page that breaks it shows here.
"""
from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urljoin

from giaitrinh_platform import screenshots as shots
from tests.support.accessibility import grave_violations
from tests.support.fixtures import PROJECT_ROOT

# Where the pictures stay after a run (var/ is git-ignored): pytest's own temporary folders are
# pruned to the last three runs, which another run on the machine can be at any moment.
PICTURES = PROJECT_ROOT / "var" / "e2e-screenshots"
HEADER_BLUE = "rgb(11, 74, 133)"  # the shell's header (giaitrinh.css): the stylesheet was applied


def signed_in_context(browser, base: str, viewport, login: str, password: str, **options):
    """A context holding the sign-in cookies of ``login`` (routing's /auth/session through the
    gateway, as the sign-in page does; no second factor, so not a provincial admin's). The token
    lives a minute and the session renews it: enough for a test's few pages."""
    context = shots.new_context(browser, viewport, **options)
    answer = context.request.post(urljoin(base, "/routing/api/v1/auth/session"),
                                  data={"login": login, "password": password})
    assert answer.ok, answer.text()
    return context


def console_errors(page) -> list[str]:
    """The errors the page logs from now on (a CSP refusal is one), but for the status line
    Chromium logs for every 4xx answer (a refused form's 422 is the page working)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "status of 4" not in msg.text else None)
    return errors


def page_problems(page, response, viewport) -> list[str]:
    """What is wrong with the page just loaded (``response`` is its answer) in a context that
    keeps the CSP: empty when the header is there, the stylesheet applied and nothing scrolls
    sideways at the viewport's width."""
    problems = []
    if "script-src 'self'" not in (response.headers.get("content-security-policy") or ""):
        problems.append(f"no CSP on {response.url}")
    if page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") != HEADER_BLUE:
        problems.append("the shared stylesheet is not applied")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport.width:
        problems.append(f"{width}px wide at {viewport.width}px")
    return problems


def picture(page, name: str, viewport) -> Path:
    """The whole page as ``<name>-<viewport>.png`` in :data:`PICTURES`, for a person to look
    at; checked to be a PNG of the viewport's width."""
    PICTURES.mkdir(parents=True, exist_ok=True)
    path = PICTURES / f"{name}-{viewport.name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    assert width == viewport.width and height >= viewport.height, (path, width, height)
    return path


def walk_and_check(walk, kept, checked, viewport) -> tuple[list[int], dict[str, list[str]]]:
    """``walk(page)`` draws some pages one after the other, yielding (name, answer) for each. It
    is walked in ``kept``, a context keeping the gateway's CSP (each page's :func:`page_problems`
    and :func:`picture`, and the console's errors), then again in ``checked``, opened with
    ``bypass_csp=True`` for axe's script (each page's grave violations); both contexts are closed
    after. Returns the answers' statuses in ``kept`` and what was found, by page name
    ("console" for the errors)."""
    found: dict[str, list[str]] = {}
    statuses = []
    try:
        page = kept.new_page()
        errors = console_errors(page)
        for name, answer in walk(page):
            statuses.append(answer.status)
            found[name] = page_problems(page, answer, viewport)
            picture(page, name, viewport)
        found["console"] = errors
        page = checked.new_page()
        for name, _answer in walk(page):
            found[name] += grave_violations(page)
    finally:
        kept.close()
        checked.close()
    return statuses, {name: problems for name, problems in found.items() if problems}
