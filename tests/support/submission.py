"""Shared by the submission tests: intake on a migrated SQLite file, a browser-like client that
holds the CSRF cookie, files made on the spot (a photo with a GPS position in its EXIF, a real
PDF), and the marker values of the privacy scan."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from giaitrinh_common import migrations, topics
from giaitrinh_common.auth import CSRF_COOKIE
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.services import SERVICES
from tests.support.case_history import MONDAY
from tests.support.factories import LOCALITY, served_province, teach_registry

CSRF = "c" * 43  # the form of secrets.token_urlsafe(32)
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "Accept-Language": "vi"}
GPS_IFD = 0x8825

# Marker values: none may appear anywhere public, nor in any event but the requester's own.
MARKERS = {"full_name": "Markername Zqxv", "id_number": "079912345678", "address": "77 Markerstreet Zqxv",
           "phone": "0987654321", "email": "marker.zqxv@example.vn"}


@pytest.fixture
def intake(bus, sqlite_url):
    url = sqlite_url("intake")
    migrations.upgrade(SERVICES["intake"].package, url)
    rt = SERVICES["intake"].bootstrap(settings=SERVICES["intake"].settings({"INTAKE_DATABASE_URL": url}),
                                      bus=bus, clock=lambda: MONDAY.timestamp())
    teach_registry(rt, served_province("44"))  # what routing's registry publishes when seeded
    yield rt
    rt.close()


@pytest.fixture
def client(intake):
    c = create_app(intake).test_client()
    c.set_cookie(CSRF_COOKIE, CSRF)
    return c


def photo_with_location(size=(64, 48), fmt="JPEG") -> bytes:
    """A photo whose EXIF says where it was taken (Đông Hà) and by which phone."""
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (16.0, 49.0, 0.0), 3: "E", 4: (107.0, 5.0, 0.0)}
    exif[0x010F] = "MarkerPhoneCo"
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, fmt, exif=exif)
    return out.getvalue()


def a_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def step_two(locality=LOCALITY, **values) -> dict:
    """A complete form, as the step-2 page sends it (checkboxes only when ticked)."""
    return {"csrf_token": CSRF, "step": "submit", "locality_code": locality, "kind": "accountability_request",
            "field": "construction", "title": "Cấp phép xây dựng sai quy hoạch",
            "content": "Vì sao công trình ở tổ 5 được cấp phép xây dựng vượt chiều cao quy hoạch?",
            "decision_concerned": "Giấy phép xây dựng số 12/GPXD ngày 3/10/2026",
            "location_text": "Tổ 5, phường Đồng Hới", "requester_type": "citizen",
            "full_name": "Nguyễn Văn An", "address": "12 Lý Thường Kiệt", "phone": "0912345678", **values}


def multipart(form: dict, files: list[tuple[str, bytes]]) -> dict:
    """Keyword arguments for the test client posting ``form`` with ``files`` as ``attachments``,
    encoded in memory: the client's own encoder spools a large body to a temporary file that it
    leaves open."""
    values = MultiDict(list(form.items()) + [("attachments", FileStorage(io.BytesIO(data), filename=name))
                                             for name, data in files])
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def events(intake, topic=topics.REQUESTS) -> list[CloudEvent]:
    intake.worker().relay.relay_all()
    return [CloudEvent.from_json(r.value) for r in intake.bus.records(topic)]
