"""Tệp đính kèm của yêu cầu, for the staff who handle it: ``/console/tep-yeu-cau/<file id>``
(the gateway sends this path to intake; routing's case page links each file of the request
here, by the id ``request.submitted`` gave it). Intake keeps the files; routing knows only what
they are.

Only signed-in staff whose localities include the request's locality (a provincial admin: all)
get one; for anyone else of the staff a file of another locality is 404, exactly as a file that
does not exist; the public never (401). The answer is always a download, with the type the
file's content was proven to be when it arrived (giaitrinh_common.web.file_download)."""
from __future__ import annotations

import re

from flask import Blueprint, current_app

from giaitrinh_common.auth import STAFF, allow, current_principal, signed_in
from giaitrinh_common.web import ApiError, file_download
from giaitrinh_intake.adapters.attachments import SqlRequestFiles
from giaitrinh_intake.bootstrap import IntakeRuntime

staff_files = Blueprint("intake_staff_files", __name__, url_prefix="/console")

FILE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


@staff_files.get("/tep-yeu-cau/<file_id>")
@allow(signed_in(*STAFF))
def request_file(file_id: str):
    """One file of a request, to staff of its locality; 404 for another locality's, a malformed
    id or none."""
    principal = current_principal()
    assert principal is not None  # the policy admits only signed-in staff
    if not FILE_ID.match(file_id):  # not even looked up
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        found = SqlRequestFiles(uow.session).get(file_id)
    if found is None or not principal.may_see(found.locality_code):
        raise ApiError.standard(404)
    return file_download(found.content, found.media_type, found.filename)
