"""Tìm kiếm công khai — what the public search finds: the published answers.

An explanation is published only when the requester agreed on the form (*đồng ý công khai*);
then the request can be found by its title and by the explanation, its legal basis and the
commitments made in it. Nothing the requester wrote beyond the title, and nothing that names
them, is searched or shown (DESIGN.md §5).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from giaitrinh_intake.domain.model import AccountabilityRequest

MAX_QUERY_CHARS = 200  # a search box's worth; longer text finds nothing more
MAX_WORDS = 12  # each word narrows the search; past a dozen it only costs


@dataclass(frozen=True)
class SearchEntry:
    """One request as the search index holds it."""

    request_id: str
    locality_code: str
    field: str
    submitted_at: datetime
    document: str


def search_entry(request: AccountabilityRequest, consent_to_publish: bool) -> SearchEntry | None:
    """The entry of ``request`` when its answer is published (consent given, an explanation
    given), else None: nothing of it may be found."""
    answer = request.latest_answer
    if not consent_to_publish or answer is None:
        return None
    parts = [request.title, answer.explanation, answer.legal_basis, *(c.content for c in answer.commitments)]
    return SearchEntry(request.id, request.locality.code, request.field.value, request.submitted_at,
                       "\n".join(part for part in parts if part))


@dataclass(frozen=True)
class SearchQuery:
    """Words (any case, with or without diacritics; all must appear) and filters, each
    left out when empty; ``page`` counts from 1."""

    words: tuple[str, ...] = ()
    locality_code: str = ""
    field: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class SearchHit:
    """A published answer as the results show it: the request's public properties and the
    explanation, never who asked."""

    request_id: str
    tracking_code: str
    kind: str
    field: str
    locality_code: str
    locality_name: str
    title: str
    submitted_at: datetime
    answered_at: datetime
    explanation: str
    legal_basis: str


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, newest first, and whether another page follows (the matches are not
    counted: see the index adapter)."""

    hits: tuple[SearchHit, ...]
    has_more: bool

    def seen_at_least(self, query: SearchQuery) -> int:
        """How many match, at least: those on the pages up to this one, one more if another follows."""
        return (query.page - 1) * query.per_page + len(self.hits) + (1 if self.has_more else 0)
