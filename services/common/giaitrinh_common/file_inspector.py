"""The file inspector (:class:`giaitrinh_common.attachments.FileInspector`): Pillow for photos,
pypdf for PDF documents — the one place the platform reads untrusted files' bytes (intake's
requesters' files, routing's explanations' files).

A photo is decoded in full and saved again from its pixels alone: EXIF (GPS position, time, the
phone), XMP, ICC profiles and comments do not survive, and the orientation EXIF asked for is
applied to the pixels first so the photo still stands the right way up. The pixel count is read
from the header and checked before anything is decoded, so a decompression bomb costs nothing.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from giaitrinh_common.attachments import (
    DAMAGED,
    MAX_PIXELS,
    NOT_ACCEPTED,
    TOO_MANY_PIXELS,
    FileInspector,
    Unacceptable,
)

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
_MAX_PDF_PAGES = 500


class ContentInspector(FileInspector):
    def inspect(self, data: bytes) -> tuple[str, bytes]:
        if data.startswith(b"%PDF-"):
            return "application/pdf", self._pdf(data)
        return self._photo(data)

    @staticmethod
    def _pdf(data: bytes) -> bytes:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            pages = len(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
            raise Unacceptable(*DAMAGED) from None
        if not 1 <= pages <= _MAX_PDF_PAGES:
            raise Unacceptable(*DAMAGED)
        return data

    @staticmethod
    def _photo(data: bytes) -> tuple[str, bytes]:
        try:
            with warnings.catch_warnings():
                # Our own pixel limit decides; Pillow's warning would only be noise.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
                    if image.width * image.height > MAX_PIXELS:
                        raise Unacceptable(*TOO_MANY_PIXELS)
                    media_type = _FORMATS[image.format or ""]
                    upright = ImageOps.exif_transpose(image)
                    out = io.BytesIO()
                    if media_type == "image/jpeg":
                        pixels = upright if upright.mode in ("RGB", "L") else upright.convert("RGB")
                        pixels.save(out, "JPEG", quality=88, optimize=True)
                    else:
                        upright.save(out, "PNG", optimize=True)
        except Unacceptable:
            raise
        except Image.DecompressionBombError:
            raise Unacceptable(*TOO_MANY_PIXELS) from None
        except UnidentifiedImageError:
            raise Unacceptable(*NOT_ACCEPTED) from None
        except (OSError, SyntaxError, ValueError, KeyError, EOFError):
            raise Unacceptable(*DAMAGED) from None
        return media_type, out.getvalue()
