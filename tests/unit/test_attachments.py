"""Attachments are judged by their content, never by their name: photos (JPEG, PNG) are decoded
and kept without their EXIF (no place, no phone), a PDF must parse, a program named as a photo
and a decompression bomb are refused with a reason in both languages; the domain's rules
(how many, how large, the kept name) hold with any inspector."""
import io
import zlib

import pytest
from PIL import Image

from giaitrinh_common.file_inspector import ContentInspector
from giaitrinh_intake.domain import attachments as rules
from giaitrinh_intake.domain.attachments import FileInspector, Unacceptable, Upload, judge, safe_filename
from tests.support.submission import GPS_IFD, a_pdf, photo_with_location

inspect = ContentInspector().inspect


def png_bomb(side: int = 30_000) -> bytes:
    """A valid PNG header claiming side × side pixels, with a tiny compressed body: a few KiB that
    would unpack to gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1-bit greyscale
    body = zlib.compress(b"\x00" * (side // 8 + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_a_photo_is_kept_without_its_gps_position_or_camera_and_stays_upright():
    original = photo_with_location(size=(64, 48))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture does carry a place
    media_type, kept = inspect(original)
    assert media_type == "image/jpeg"
    image = Image.open(io.BytesIO(kept))
    assert not image.getexif().get_ifd(GPS_IFD) and GPS_IFD not in image.getexif()
    assert b"MarkerPhoneCo" not in kept and image.size == (64, 48)


def test_a_png_is_accepted_as_a_png():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10)).save(out, "PNG")
    assert inspect(out.getvalue())[0] == "image/png"


def test_a_real_pdf_is_kept_as_it_came():
    pdf = a_pdf()
    assert inspect(pdf) == ("application/pdf", pdf)


@pytest.mark.parametrize(("data", "code"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 400, "unsupported_file_type"),  # a Windows program
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 400, "unsupported_file_type"),
    (b"<html><script>alert(1)</script></html>", "unsupported_file_type"),
    (b"GIF89a" + b"\x00" * 100, "unsupported_file_type"),  # a real format, not one we take
    (b"%PDF-1.7\n" + b"x" * 200, "damaged_file"),  # a PDF header and nothing of a PDF after it
    (photo_with_location(size=(200, 200))[:700], "damaged_file"),  # a photo cut short
])
def test_content_that_is_not_a_photo_or_a_pdf_is_refused_whatever_its_name(data, code):
    with pytest.raises(Unacceptable) as refused:
        inspect(data)
    assert refused.value.code == code and refused.value.vi and refused.value.en


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    bomb = png_bomb()
    assert len(bomb) < 100_000
    with pytest.raises(Unacceptable) as refused:
        inspect(bomb)
    assert refused.value.code == "image_too_large"


class Accepting(FileInspector):
    """Takes anything as a PDF: the domain's own rules are what these tests look at."""

    def inspect(self, data: bytes) -> tuple[str, bytes]:
        return "application/pdf", data


def test_at_most_five_files_are_taken():
    accepted, problems = judge([Upload(f"{n}.pdf", b"x") for n in range(6)], Accepting())
    assert accepted == [] and [p["code"] for p in problems] == ["too_many_files"]


def test_each_refused_file_is_named_by_its_place_in_the_form():
    uploads = [Upload("a.pdf", b"ok"), Upload("b.pdf", b""), Upload("c.pdf", b"x" * (rules.MAX_FILE_BYTES + 1))]
    accepted, problems = judge(uploads, Accepting())
    assert [a.filename for a in accepted] == ["a.pdf"]
    assert [(p["field"], p["code"]) for p in problems] == [("attachments[1]", "empty_file"),
                                                          ("attachments[2]", "file_too_large")]


def test_an_empty_file_input_is_no_attachment():
    assert judge([Upload("", b"")], Accepting()) == ([], [])


@pytest.mark.parametrize(("sent", "kept"), [
    ("anh.jpg.exe", "anh.jpg.jpg"),  # the type the content proved decides the extension
    ("C:\\Users\\an\\Ảnh chụp.JPG", "Ảnh chụp.jpg"),  # folders dropped, Vietnamese kept
    ("../../etc/passwd", "passwd.jpg"),
    ("bad\x00name\n.png", "badname.jpg"),
    ("", "tep.jpg"),
])
def test_the_kept_name_has_no_folders_and_the_extension_of_its_content(sent, kept):
    assert safe_filename(sent, "image/jpeg") == kept


def test_a_very_long_name_is_shortened_with_its_extension_kept():
    name = safe_filename("x" * 500 + ".pdf", "application/pdf")
    assert len(name) == rules.MAX_FILENAME and name.endswith(".pdf")
