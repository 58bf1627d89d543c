"""Tin nhắn SMS — what fits in a text message: how many segments a text takes, and the text
without Vietnamese diacritics for a gateway that asks for it.

A message whose every character is in the GSM 03.38 alphabet travels 7 bits a character: 160
in one segment, 153 a segment once it is split (the rest carries the joining header). Any other
character — every Vietnamese letter with a tone mark — makes the whole message UCS-2: 70 in one
segment, 67 a segment once split. That is why gateways (and the brand-name SMS contracts of
Vietnamese carriers) ask for text *không dấu*: the same notice costs two to three times fewer
segments. GSM 03.38's extension characters (``{ } [ ] ~ \\ | ^ €``) take two places each.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set (without the escape to the extension table, 0x1B).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Typography a template may carry that has a plain equivalent in GSM 03.38.
_PLAIN = str.maketrans({"đ": "d", "Đ": "D", "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-",
                        "—": "-", "…": "...", "\u00a0": " ", "•": "-", "«": '"', "»": '"'})


def without_diacritics(text: str) -> str:
    """``text`` with tone marks and the hat, breve and horn taken off, đ as d, and curly quotes,
    dashes and the ellipsis as their plain forms: "Yêu cầu đã được tiếp nhận – xem …" →
    "Yeu cau da duoc tiep nhan - xem ...". Case and line breaks are kept."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", text.translate(_PLAIN))
                   if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


@dataclass(frozen=True)
class SmsLength:
    """How a text travels: its encoding, its length in that encoding's units, its segments."""

    encoding: str  # "gsm7" or "ucs2"
    units: int
    segments: int


def sms_length(text: str) -> SmsLength:
    """The encoding, units and segment count of ``text`` (see the module's docstring)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "ucs2"
    segments = 1 if units <= single else -(-units // part)
    return SmsLength(encoding, units, segments)


def fits(text: str, max_segments: int) -> bool:
    """Whether ``text`` travels in at most ``max_segments`` segments (an empty text does not:
    a message with nothing to say is a template's fault)."""
    return bool(text) and sms_length(text).segments <= max_segments


@dataclass(frozen=True)
class PhoneNumber:
    """A mobile number in the three forms gateways ask for: ``+84912345678`` (E.164),
    ``0912345678`` (national, Vietnamese numbers only) and ``84912345678`` (digits)."""

    e164: str

    @property
    def digits(self) -> str:
        return self.e164[1:]

    @property
    def national(self) -> str:
        return "0" + self.e164[3:] if self.e164.startswith("+84") else self.e164


def phone_number(raw: str) -> PhoneNumber | None:
    """``raw`` as a phone number (spaces, dots and dashes allowed; a leading 0 is a Vietnamese
    number, +84), or None when it is not one: 8 to 15 digits once written in E.164."""
    text = raw.strip()
    for sep in " .-()":
        text = text.replace(sep, "")
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = "84" + text[1:]
    else:
        digits = text
    if not (digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15) or digits.startswith("0"):
        return None
    return PhoneNumber("+" + digits)
