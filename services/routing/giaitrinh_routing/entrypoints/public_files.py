"""Tệp đính kèm of an explanation, outside the console: ``/tep-giai-trinh/<file id>`` (the gateway
sends this path to routing; intake's public timeline links each file of the answer it shows, by
the id ``case.answered`` gave it) for anyone while the explanation is published, and
``/tep-giai-trinh/<file id>?k=<key>`` for whoever holds that file's key — the requester, on their
own page behind their secret link — published or not.

An explanation is published only when the requester agreed on the form (*đồng ý công khai*, as
``request.submitted`` said) — intake shows its text on that condition, and routing serves its
files on the same one, and only the files of the latest answer (the one the portal shows). The
explanation is given to the requester all the same, so each file also opens to its own key
(``domain.case_files``), which routing gave it when the answer was recorded and ``case.answered``
carried to intake. For anything else — no consent and no key, a wrong key, another file's key, a
key of any length that is not this file's — the answer is 404, exactly as for a file that does not
exist. The file's own name may be personal: the download is named by what it is
(``giai-trinh.pdf``), never by it."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from giaitrinh_common.attachments import ACCEPTED
from giaitrinh_common.auth import PUBLIC, allow
from giaitrinh_common.web import ApiError, file_download
from giaitrinh_routing.bootstrap import RoutingRuntime
from giaitrinh_routing.domain.case_files import key_opens
from giaitrinh_routing.entrypoints.console import FILE_ID

public_files = Blueprint("routing_public_files", __name__)


def _runtime() -> RoutingRuntime:
    return current_app.extensions["giaitrinh_runtime"]


@public_files.get("/tep-giai-trinh/<file_id>")
@allow(PUBLIC)  # a published explanation's file, or one whose key is given; nothing else is found here
def published_answer_file(file_id: str):
    """A file of the case's latest answer when the requester agreed to publish the explanation,
    or any answer's file to the holder of its key (``?k=``)."""
    if not FILE_ID.match(file_id):  # not even looked up
        raise ApiError.standard(404)
    with _runtime().unit_of_work() as uow:
        found = uow.files.answer_file(file_id)
        readable = found is not None and (key_opens(request.args.get("k"), found.access_key_sha256)
                                          or uow.files.published(found))
    if found is None or not readable:
        raise ApiError.standard(404)
    return file_download(found.content, found.file.media_type, "giai-trinh" + ACCEPTED[found.file.media_type])
