"""Vietnamese text as people type it into a search box, and in the order a Vietnamese reader
expects a list.

On a cheap phone people often type without diacritics (*dấu*): "nam dong ha" must find
"Phường Nam Đông Hà". :func:`fold` takes the text to NFD, drops the combining marks (tones and
the hat, breve and horn), maps đ to d and lowers the case, so both sides compare on bare
letters. :func:`sort_key` orders as the Vietnamese alphabet does (a ă â b c d đ e ê g …, the
tones after), which code point order does not: it puts "Đ" after "Z".
"""
from __future__ import annotations

import unicodedata

# U+0300 grave (huyền), U+0301 acute (sắc), U+0303 tilde (ngã), U+0309 hook above (hỏi),
# U+0323 dot below (nặng): the five marked tones, in the order dictionaries list them.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Letters the Vietnamese alphabet counts as letters of their own, after their base letter:
# ă (breve), â ê ô (circumflex), ơ ư (horn), đ.
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}


def fold(text: str) -> str:
    """``text`` without diacritics, đ as d, in lower case and with runs of spaces made one:
    ``fold("Phường Nam Đông Hà") == "phuong nam dong ha"``."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def matches(query: str, text: str) -> bool:
    """Whether every word of ``query`` appears in ``text``, diacritics and case aside, in
    any order ("dong ha nam" finds "Phường Nam Đông Hà"; an empty query finds everything)."""
    haystack = fold(text)
    return all(word in haystack for word in fold(query).split())


def sort_key(text: str) -> tuple:
    """Key for :func:`sorted` in Vietnamese dictionary order: letters first (đ after d, ă and â
    after a, …), then tones, then the text itself so equal keys stay in a stable order."""
    letters: list[tuple[str, int]] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if ch in _TONES:
            tones[-1:] = [_TONES[ch]]
        elif ch in _LETTER_MARKS and letters:
            base, _ = letters[-1]
            letters[-1] = (base, _LETTER_MARKS[ch])
        elif not unicodedata.combining(ch):
            letters.append(("d", 4) if ch == "đ" else (ch, 0))
            tones.append(0)
    return (letters, tones, text)
