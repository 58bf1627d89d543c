"""The pages' shell: what every service's pages share — the base layout and macros
(``templates/ui/``), the CSS and icons at ``/static/``, the language of the page, Vietnamese
dates and numbers, and the HTML error page.

A service adds its pages with :func:`install_pages` on the app ``runtime.web_app`` built (its
JSON API is unchanged) and writes templates that ``{% extends "ui/base.html" %}``.

The language (*ngôn ngữ*): Vietnamese first, English second. A page is in the language a
``?lang=`` link asked for (the switch in the header; remembered in a cookie for a year), else
the cookie's, else the best of the browser's ``Accept-Language``, else Vietnamese. Dates and
numbers follow it (Babel's CLDR data: "28 tháng 11, 2026", "1.234"), in the province's time
zone.

Errors: the platform's routes raise :class:`~giaitrinh_common.web.ApiError` (or werkzeug's
HTTP errors) as before, and :func:`wants_page` alone decides how the answer reads: the JSON
body for APIs and programs, the same code and messages as an HTML page for a browser.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale
from flask import Flask, Response, current_app, render_template, request, url_for
from flask_babel import Babel, format_date, format_decimal, format_time, get_locale
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.routing import BuildError

from giaitrinh_common.web import ApiError, Page

UI_ROOT = Path(__file__).resolve().parent
STATIC_ROOT = UI_ROOT.parent / "static"  # what the gateway serves at /static/ (one copy)
TRANSLATIONS = UI_ROOT / "translations"

LANGUAGES = ("vi", "en")  # the first is the default
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language
LANGUAGE_COOKIE = "giaitrinh_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Ho_Chi_Minh"
PLATFORM_NAME = "Giải Trình"

# Paths that are APIs or the platform's own endpoints (after the gateway's prefix is taken off):
# their errors stay JSON whatever the client accepts, so a program never gets a page.
API_PREFIXES = ("/api/", "/open311/", "/healthz", "/readyz", "/metrics")


def wants_page() -> bool:
    """Whether the request being answered is a browser's asking for a page: not an API path,
    and the client prefers HTML to JSON (a browser's ``Accept`` names ``text/html``; a program
    that sends none, or ``*/*``, gets JSON). The one place that chooses HTML or JSON errors."""
    if request.path.startswith(API_PREFIXES):
        return False
    return request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html"


def current_language() -> str:
    """The page's language: ``vi`` or ``en`` (see the module's docstring for the order)."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else LANGUAGES[0]


def _choose_language() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _remember_language(response: Response) -> Response:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != asked:
        # Not HttpOnly-sensitive (a preference), but no script needs it either.
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/",
                            samesite="Lax", httponly=True, secure=request.is_secure)
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


# -- what templates use ---------------------------------------------------------------------
def in_language(text: Mapping[str, str] | None) -> str:
    """A bilingual text (``{"vi": …, "en": …}``, the shape of every error message) in the
    page's language, the Vietnamese when the other is missing."""
    if not text:
        return ""
    return text.get(current_language()) or text.get(LANGUAGES[0], "")


def other_language() -> str:
    return LANGUAGES[1] if current_language() == LANGUAGES[0] else LANGUAGES[0]


def url_with(**changes: Any) -> str:
    """The current page's address with some query parameters changed (``None`` removes one):
    the language switch and the pagination keep the rest (a search, a filter)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v is not None})
    same_path = request.script_root + quote(request.path) + ("?" + urlencode(args) if args else "")
    if request.endpoint is None:  # an error page for an unknown address
        return same_path
    try:
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    except (BuildError, KeyError, TypeError, ValueError):
        # An error page for an address the route's own converters refuse to rebuild (or whose
        # view took its arguments): the same path the browser asked for serves as well.
        return same_path


def long_date(value: date | datetime | None) -> str:
    """"28 tháng 11, 2026" / "November 28, 2026" (a datetime in the province's time zone)."""
    return format_date(value, "long") if value is not None else ""


def long_datetime(value: datetime | None) -> str:
    """Date and time in the order of the page's language: "12:25 28 tháng 11, 2026" /
    "November 28, 2026, 12:25 PM" (the locale's own pattern joins them)."""
    if value is None:
        return ""
    locale = get_locale() or Locale.parse(LANGUAGES[0])
    return locale.datetime_formats["medium"].format(format_time(value, "short"), format_date(value, "long"))


def file_size(size: int) -> str:
    """A file's size as people read it: "640 B", "82 KB", "1,4 MB" (the language's decimal sign)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024))} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


def iso_datetime(value: date | datetime | None) -> str:
    """For ``<time datetime=…>``: machine-readable, whatever the language shown."""
    return value.isoformat() if value is not None else ""


@dataclass(frozen=True)
class Pagination:
    """Where a page of a list stands among all of them, for the ``pagination`` macro."""

    page: Page
    total: int

    @property
    def number(self) -> int:
        return self.page.number

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.total / self.page.size))

    @property
    def first_item(self) -> int:
        return min(self.total, self.page.offset + 1)

    @property
    def last_item(self) -> int:
        return min(self.total, self.page.offset + self.page.size)

    def numbers(self, around: int = 1) -> list[int | None]:
        """The page numbers to link: the first, the last and ``around`` either side of this
        one; ``None`` where a run is left out (shown as "…")."""
        wanted = sorted({1, self.count, *range(self.number - around, self.number + around + 1)})
        shown: list[int | None] = []
        for n in (n for n in wanted if 1 <= n <= self.count):
            if shown and shown[-1] is not None and n - shown[-1] > 1:  # type: ignore[operator]
                shown.append(None)
            shown.append(n)
        return shown

    def slice(self, items: list) -> list:
        return items[self.page.offset:self.page.offset + self.page.size]


# -- errors as pages ------------------------------------------------------------------------
def error_page(err: ApiError) -> Response:
    """The error as the client wants it: the JSON body, or for a browser the bilingual HTML
    page with the same status, code, messages and details."""
    if not wants_page():
        return err.response()
    try:
        html = render_template("ui/error.html", status=err.status, error=_as_document(err))
    except Exception:  # a page that cannot be drawn must not hide the error itself
        current_app.logger.exception("the error page could not be rendered")
        return err.response()
    resp = Response(html, status=err.status, mimetype="text/html")
    resp.headers.update(getattr(err, "headers", None) or {})  # WWW-Authenticate, Retry-After, …
    return resp


def _as_document(err: ApiError) -> dict[str, Any]:
    return {"code": err.code, "message": {"vi": err.vi, "en": err.en}, "details": err.details}


# -- putting it on an app -------------------------------------------------------------------
def install_pages(app: Flask, *, translations: Iterable[Path] = (), home: str | None = None) -> Flask:
    """Give ``app`` the shell: templates of ``templates/ui/``, Flask-Babel with the shared
    catalog and the service's own (``translations``, folders of ``<lang>/LC_MESSAGES/*.mo``),
    ``/static/`` on the service's own port (the gateway serves the same folder itself), the
    language switch and the HTML error page. ``home``: the endpoint the header's name links to.
    Returns the app, so a factory can end with ``return install_pages(app, ...)``."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(p) for p in (TRANSLATIONS, *translations))
    app.config["BABEL_DEFAULT_LOCALE"] = LANGUAGES[0]
    app.config["BABEL_DEFAULT_TIMEZONE"] = TIME_ZONE
    if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600  # as the gateway's `expires 1h`
    Babel(app, locale_selector=_choose_language)
    assert app.jinja_loader is not None
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(UI_ROOT / "templates")])
    app.jinja_env.autoescape = True  # every template, whatever its name ends with
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    # The shared files at /static/ on the service's own port too (Flask's static route names
    # the app's own static folder, which no service has: the shared one takes its place).
    app.static_folder = str(STATIC_ROOT)
    if "static" not in app.view_functions:
        app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=app.send_static_file)

    def _home_url() -> str:
        return url_for(home) if home else (request.script_root or "") + "/"

    app.jinja_env.globals.update(
        platform_name=PLATFORM_NAME, languages=LANGUAGES, language_names=LANGUAGE_NAMES,
        current_language=current_language, other_language=other_language, in_language=in_language,
        url_with=url_with, home_url=_home_url)
    app.jinja_env.filters.update(long_date=long_date, long_datetime=long_datetime, iso=iso_datetime,
                                 file_size=file_size)
    app.after_request(_remember_language)
    # giaitrinh_common.web's error handlers hand every error to this when it is there.
    app.extensions["giaitrinh_error_page"] = error_page
    return app
