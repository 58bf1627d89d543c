"""The console's registry pages for admins (*quản trị*): units, officials and routing rules of a
locality, with CSV import and export of units and of officials, checked row by row.

Who: as the registry's API — a locality head reads their locality's units and rules, the
provincial admin reads and changes any locality's (another locality's page answers 404). The
import is the CLI's (``handlers.import_units``): every row checked first, a bad row named by its
line number, nothing written unless all are good. The officials are the accounts serving the
locality (``AccountService.accounts``), a page at a time; accounts are opened, disabled and reset
on the accounts page and with ``giaitrinh routing users``; their CSV import
(``AccountService.import_officials``, as ``giaitrinh routing users import``) opens the new ones
with a random first password each, shown once on the answer and never kept in the clear.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from giaitrinh_common.auth import LOCALITY_HEAD, PROVINCIAL_ADMIN, Principal, allow, current_principal, signed_in
from giaitrinh_common.ui import Pagination
from giaitrinh_common.web import ApiError, detail, page_args
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.accounts import OFFICIAL_COLUMNS
from giaitrinh_routing.domain.case import InvalidAction, Problem
from giaitrinh_routing.domain.registry import FIELDS, UNIT_COLUMNS, RoutingRule, UnitKind, fields_by_unit
from giaitrinh_routing.entrypoints.console import FIELD_NAMES
from giaitrinh_routing.entrypoints.console_auth import BODY_LABELS, ROLE_LABELS
from giaitrinh_routing.service_layer.handlers import ImportRefused, RowProblem

pages = Blueprint("console_admin", __name__, url_prefix="/console/admin", template_folder="templates")

READ = signed_in(PROVINCIAL_ADMIN, LOCALITY_HEAD, locality_arg="locality_code")
CHANGE = signed_in(PROVINCIAL_ADMIN)
CSV_MAX_BYTES = 1 << 20  # a locality has a dozen units; a province a few tens of thousands of rows
OFFICIALS_PER_PAGE = 50


def _runtime() -> RoutingRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None
    return principal


@pages.get("/")
@allow(signed_in(PROVINCIAL_ADMIN, LOCALITY_HEAD))
def index():
    """A locality head goes to their locality; the provincial admin names one (``?ma=``)."""
    principal = _principal()
    code = request.args.get("ma", "").strip()
    if not code and len(principal.localities) == 1:
        code = next(iter(principal.localities))
    if code:
        return redirect(url_for("console_admin.locality", locality_code=code), code=303)
    return render_template("console/admin_index.html")


def _locality(code: str):
    if len(code) > 10:
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        locality = uow.localities.get(code)
        if locality is None:
            raise ApiError.standard(404)
        return locality, uow.units.units_of(code), uow.units.rules_of(code)


def _page(code: str, *, status: int = 200, error: dict | None = None, problems: list[RowProblem] | None = None):
    locality, units, rules = _locality(code)
    page = page_args(default_size=OFFICIALS_PER_PAGE, max_size=200)
    officials, total = current_app.extensions["giaitrinh_accounts"].accounts(page.offset, page.size, locality=code)
    by_unit = fields_by_unit(code, rules, {u.code for u in units if u.active})
    handles = {unit: ", ".join(str(FIELD_NAMES.get(f, f)) for f in fs) for unit, fs in by_unit.items()}
    return render_template(
        "console/admin_locality.html", locality=locality, units=units, rules=rules, fields=FIELDS,
        handles=handles, field_names=FIELD_NAMES, may_change=_principal().role == PROVINCIAL_ADMIN,
        rule_fields=[(f, FIELD_NAMES.get(f, f)) for f in FIELDS],
        rule_units=[(u.code, u.name) for u in units if u.active and u.kind is UnitKind.HANDLING],
        officials=officials, officials_pages=Pagination(page, total), role_labels=ROLE_LABELS,
        body_labels=BODY_LABELS, unit_names={u.code: u.name for u in units},
        error=error, problems=problems or [], done=request.args.get("done")), status


@pages.get("/dia-ban/<locality_code>")
@allow(READ)
def locality(locality_code: str):
    """The locality's units (what each handles), officials (``?page=``) and routing rules, with
    the admin's forms."""
    return _page(locality_code)


@pages.get("/dia-ban/<locality_code>/don-vi.csv")
@allow(READ)
def export_units(locality_code: str):
    """The units as CSV, in the columns the import (page and CLI) reads."""
    _locality_, units, _rules = _locality(locality_code)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNIT_COLUMNS)
    for u in units:
        writer.writerow([u.locality_code, u.code, u.name, u.kind.value, "true" if u.active else "false"])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="don-vi-{locality_code}.csv"'})


@pages.get("/dia-ban/<locality_code>/can-bo.csv")
@allow(READ)
def export_officials(locality_code: str):
    """The officials as CSV, in the columns ``giaitrinh routing users import`` reads (never a
    password hash or TOTP secret)."""
    _locality(locality_code)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OFFICIAL_COLUMNS)
    writer.writerows(current_app.extensions["giaitrinh_accounts"].export_officials(locality_code))
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="can-bo-{locality_code}.csv"'})


def _error(err: ApiError) -> dict:
    return {"code": err.code, "message": {"vi": err.vi, "en": err.en}, "details": err.details}


def _uploaded_rows(field: str) -> list[dict] | ApiError:
    """The rows of the CSV file uploaded as ``field``, or the refusal to show beside it."""
    upload = request.files.get(field)
    raw = upload.read(CSV_MAX_BYTES + 1) if upload is not None else b""
    if not raw or len(raw) > CSV_MAX_BYTES:
        return ApiError(422, "invalid_file", "Hãy chọn một tệp CSV (tối đa 1 MiB).",
                        "Choose a CSV file (at most 1 MiB).",
                        [detail(field, "required", "Chưa có tệp CSV hợp lệ.", "No usable CSV file.")])
    try:
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        return ApiError(422, "invalid_file", "Tệp không phải CSV UTF-8.", f"Not a UTF-8 CSV file: {exc}.",
                        [detail(field, "unreadable", "Không đọc được tệp.", "The file cannot be read.")])


def _refused(exc: ImportRefused, field: str) -> ApiError:
    return ApiError(422, "import_refused", "Không nhập dòng nào: có dòng chưa hợp lệ (xem số dòng dưới đây).",
                    "Nothing was imported: some rows break a rule (see their line numbers below).",
                    [detail(field, p.code, p.text_vi, p.text_en)
                     for p in exc.problems[:100]])


@pages.post("/dia-ban/<locality_code>/nhap-csv")
@allow(CHANGE)
def import_units(locality_code: str):
    """Import units from a CSV file: all rows good, or nothing written and each bad row named."""
    _locality(locality_code)
    rows = _uploaded_rows("file")
    if isinstance(rows, ApiError):
        return _page(locality_code, status=422, error=_error(rows))
    elsewhere = [RowProblem.of(line, Problem("locality_code", "other_locality",
                                             f"Mã địa bàn phải là {locality_code} trên trang này.",
                                             f"The locality code must be {locality_code} on this page."))
                 for line, row in enumerate(rows, start=2) if (row.get("locality_code") or "").strip() != locality_code]
    try:
        if elsewhere:
            raise ImportRefused(elsewhere)
        counts = _runtime().import_units(rows, _principal().id)
    except ImportRefused as exc:
        return _page(locality_code, status=422, error=_error(_refused(exc, "file")), problems=exc.problems)
    return redirect(url_for("console_admin.locality", locality_code=locality_code,
                            done=f"{counts['added']}+{counts['changed']}"), code=303)


@pages.post("/dia-ban/<locality_code>/nhap-can-bo")
@allow(CHANGE)
def import_officials(locality_code: str):
    """Import the locality's officials from a CSV file (the export's columns): all rows good, or
    nothing written and each bad row named. New logins' first passwords are shown on this answer
    only (not kept in the clear, not cached): the admin hands each to its official."""
    _locality(locality_code)
    rows = _uploaded_rows("officials_file")
    if isinstance(rows, ApiError):
        return _page(locality_code, status=422, error=_error(rows))
    try:
        counts, passwords = current_app.extensions["giaitrinh_accounts"].import_officials(
            locality_code, rows, by=_principal().id)
    except ImportRefused as exc:
        return _page(locality_code, status=422, error=_error(_refused(exc, "officials_file")), problems=exc.problems)
    if not passwords:
        return redirect(url_for("console_admin.locality", locality_code=locality_code,
                                done=f"{counts['added']}+{counts['changed']}"), code=303)
    return render_template("console/officials_imported.html", locality=_locality(locality_code)[0],
                           counts=counts, passwords=sorted(passwords.items())), 200, {"Cache-Control": "no-store"}


@pages.post("/dia-ban/<locality_code>/quy-tac")
@allow(CHANGE)
def set_rule(locality_code: str):
    """Route a field of the locality to one of its active handling units."""
    _locality(locality_code)
    rule = RoutingRule(locality_code, request.form.get("field", ""), request.form.get("unit_code", ""),
                       request.form.get("official_id", "").strip()[:100])
    try:
        _runtime().set_rule(rule, _principal().id)
    except InvalidAction as exc:
        err = ApiError(422, "invalid_fields", "Quy tắc chưa hợp lệ; xem từng trường dưới đây.",
                       "The rule breaks a rule; see each field below.",
                       [detail(p.field, p.code, p.vi, p.en) for p in exc.problems])
        return _page(locality_code, status=422, error=_error(err))
    return redirect(url_for("console_admin.locality", locality_code=locality_code, done="rule"), code=303)
