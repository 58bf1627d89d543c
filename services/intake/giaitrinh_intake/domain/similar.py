"""Yêu cầu tương tự: before filing, a person sees the requests of the same commune or ward that
already say much the same, and may join one instead (Decree 59/2019 Art. 10: many people with the
same content). Texts are compared without diacritics or case — people type "dat dai" for "đất
đai" — by rapidfuzz's token-set ratio: the words two texts share against the words each adds,
in any order, so a short text that says the same as part of a longer one still scores high,
while texts that merely share a place name do not (its weighted ratio scored "xin cấp giấy
phép xây dựng" 86 against a land-grab complaint; this ratio, 44).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

MIN_SCORE = 70.0  # below this, two requests merely share a few words
MAX_SHOWN = 5
MIN_QUERY_WORDS = 3  # "đất đai" alone resembles every land request
COMPARED_CHARS = 600  # the subject and the start of the content say what a request is about
# States in which a request can still be joined: open, or answered (a joiner may rate and
# dispute with the others). Refused, withdrawn, closed or merged ones cannot.
JOINABLE = frozenset({"submitted", "registered", "accepted", "extended", "suspended", "transferred",
                      "answered", "disputed"})


@dataclass(frozen=True)
class Candidate:
    """A request of the same locality that could be the same matter."""

    tracking_code: str
    title: str
    text: str  # subject and content, as compared
    status: str


@dataclass(frozen=True)
class Similar:
    tracking_code: str
    title: str
    status: str
    score: float


def fold(text: str) -> str:
    """Text without diacritics, đ as d, lower case, single spaces ("Đất đai" → "dat dai")."""
    bare = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def similar_requests(text: str, candidates: Iterable[Candidate], limit: int = MAX_SHOWN) -> list[Similar]:
    """The joinable candidates closest to ``text``, closest first, none under :data:`MIN_SCORE`;
    nothing for a text too short to say what it is about."""
    query = fold(text)[:COMPARED_CHARS]
    if len(query.split()) < MIN_QUERY_WORDS:
        return []
    pool = [c for c in candidates if c.status in JOINABLE]
    found = process.extract(query, [fold(c.text)[:COMPARED_CHARS] for c in pool], scorer=fuzz.token_set_ratio,
                            score_cutoff=MIN_SCORE, limit=limit)
    return [Similar(pool[i].tracking_code, pool[i].title, pool[i].status, round(score, 1))
            for _, score, i in found]
