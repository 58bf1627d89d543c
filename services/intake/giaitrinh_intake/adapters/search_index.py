"""The public search's index, with each engine's own full-text search (revisions
0006_search_and_idempotency and 0008_search_index):

- PostgreSQL: a GIN index on the stored column ``document_tsv`` =
  ``to_tsvector('simple', giaitrinh_unaccent(document))``; the ``unaccent`` extension takes the
  diacritics off the documents (đ as d) and :func:`fold` the same off the query. The table
  ``search_words`` lists every word the documents ever held (written here with the entry), so
  that the word still being typed becomes the whole words it begins, and a word no document
  holds answers "nothing" without a look at the documents.
- SQLite: the FTS5 table ``search_entries_fts`` holds the folded document under the rowid of its
  ``search_entries`` row (FTS5's own diacritic removal keeps đ), written here in the same
  transaction as the row.

Both answer the same :class:`SearchQuery` with the same rows: every word, whole except the
last, which may be cut short (``dong & ha:*``), in any order, newest first.
"""
from __future__ import annotations

import math
import re
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_common.ui.search import fold
from giaitrinh_intake.adapters.orm import answers, requests, search_entries
from giaitrinh_intake.domain.search import (
    MAX_QUERY_CHARS,
    MAX_WORDS,
    SearchEntry,
    SearchHit,
    SearchPage,
    SearchQuery,
)

_WORD = re.compile(r"[0-9a-z]+")
# PostgreSQL (see SqlSearchIndex._newest_with): the newest rows first walked, per row the page
# needs; how many of the page's rows they must hold to be walked again further (fewer: the words
# are rare, and the GIN index gives their few matches for less than a long walk), and at most
# how far. Measured on 1,000,000 answers (bench/README.md "search"): a row walked newest first
# costs a fifth to a seventh of a match the index gives (which must be fetched to be ordered).
FIRST_WALK_PER_ROW, FOUND_TO_WALK_ON, MAX_WALK = 100, 4, 50_000
MAX_PREFIX_WORDS = 64  # the word being typed stands for at most this many whole words; past that, a prefix
DOCUMENT_TSV: sa.ColumnElement = sa.literal_column("search_entries.document_tsv")  # PostgreSQL's only (revision 0006)


def words_of(text: str) -> list[str]:
    """The words of a query as the index holds them: folded, letters and digits only (so no
    query syntax of either engine can be written into one), at most :data:`MAX_WORDS`."""
    return _WORD.findall(fold(text[:MAX_QUERY_CHARS]))[:MAX_WORDS]


def _holds(tsvector: Any, tsquery: str) -> Any:
    """``tsvector @@ to_tsquery('simple', tsquery)``."""
    return tsvector.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'"), sa.literal(tsquery)))


def _aware(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class SqlSearchIndex:
    """Contract: after :meth:`put`, :meth:`search` finds the entry by any words of its document
    (diacritics, case and word order aside; the last word of the query may be cut short),
    within the filters; :meth:`remove` takes it out. Both join the caller's transaction."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def put(self, entry: SearchEntry) -> None:
        s = search_entries
        values = {"locality_code": entry.locality_code, "field": entry.field,
                  "submitted_at": entry.submitted_at, "document": entry.document}
        row_id = self.session.execute(sa.select(s.c.id).where(s.c.request_id == entry.request_id)).scalar()
        if row_id is None:
            row_id = self.session.execute(sa.insert(s).values(request_id=entry.request_id, **values)
                                          .returning(s.c.id)).scalar_one()
        else:
            self.session.execute(sa.update(s).where(s.c.id == row_id).values(**values))
        if self._dialect == "sqlite":
            self.session.execute(sa.text("DELETE FROM search_entries_fts WHERE rowid = :id"), {"id": row_id})
            self.session.execute(sa.text("INSERT INTO search_entries_fts (rowid, document) VALUES (:id, :doc)"),
                                 {"id": row_id, "doc": fold(entry.document)})
        elif self._dialect == "postgresql":
            # In the lexemes' own (sorted) order, so two entries written at once wait for each
            # other's new words in the same order and never deadlock. Words are never taken
            # out: one no document holds any more only costs the index a look that finds nothing.
            self.session.execute(sa.text(
                "INSERT INTO search_words (word) SELECT word FROM search_entries, "
                "unnest(tsvector_to_array(document_tsv)) AS word WHERE id = :id ORDER BY word "
                "ON CONFLICT DO NOTHING"), {"id": row_id})

    def remove(self, request_id: str) -> None:
        s = search_entries
        row_id = self.session.execute(sa.select(s.c.id).where(s.c.request_id == request_id)).scalar()
        if row_id is None:
            return
        if self._dialect == "sqlite":
            self.session.execute(sa.text("DELETE FROM search_entries_fts WHERE rowid = :id"), {"id": row_id})
        self.session.execute(sa.delete(s).where(s.c.id == row_id))

    def _filters(self, query: SearchQuery) -> list[Any]:
        s = search_entries
        where: list[Any] = []
        if query.locality_code:
            where.append(s.c.locality_code == query.locality_code)
        if query.field:
            where.append(s.c.field == query.field)
        if query.since is not None:
            where.append(s.c.submitted_at >= query.since)
        if query.until is not None:
            where.append(s.c.submitted_at < query.until)
        return where

    @staticmethod
    def _words(query: SearchQuery) -> list[str]:
        return [w for word in query.words for w in words_of(word)][:MAX_WORDS]

    def _matching(self, query: SearchQuery) -> list[Any] | None:
        """The SQL conditions of ``query``: the columns' and the engine's own full-text one (last),
        or None when a word is in no document, so that nothing can match."""
        where, words = self._filters(query), self._words(query)
        if words and self._dialect == "postgresql":
            tsquery = self._tsquery(words)
            if tsquery is None:
                return None
            where.append(_holds(DOCUMENT_TSV, tsquery))
        elif words:
            # Every word whole but the last, which may still be being typed.
            terms = [*(f'"{w}"' for w in words[:-1]), f"{words[-1]}*"]
            where.append(search_entries.c.id.in_(
                sa.text("SELECT rowid FROM search_entries_fts WHERE search_entries_fts MATCH :match")
                .bindparams(match=" ".join(terms)).columns(sa.column("rowid"))))
        return where

    def _tsquery(self, words: list[str]) -> str | None:
        """PostgreSQL's query for ``words``: every word whole but the last, which may still be
        being typed and stands for the whole words it begins (``(nuoc | nuoi)``). The GIN index
        skips through those as through any word, where a prefix (``nuo:*``) would make it gather
        every row of every such word first. None when a word, or the start of the last one, is
        in no document."""
        whole, typing = words[:-1], words[-1]
        bound = typing[:-1] + chr(ord(typing[-1]) + 1)  # the first text past every word it begins
        rows = self.session.execute(sa.text(
            "SELECT true, word FROM search_words WHERE word = ANY(CAST(:whole AS text[])) "
            "UNION ALL (SELECT false, word FROM search_words WHERE word >= :typing AND word < :bound "
            "ORDER BY word LIMIT :cap)"), {"whole": sorted(set(whole)), "typing": typing, "bound": bound,
                                         "cap": MAX_PREFIX_WORDS + 1}).all()
        known = {word for is_whole, word in rows if is_whole}
        begun = [word for is_whole, word in rows if not is_whole]
        if len(known) < len(set(whole)) or not begun:
            return None
        last = f"{typing}:*" if len(begun) > MAX_PREFIX_WORDS else "(" + " | ".join(begun) + ")"
        return " & ".join([*whole, last])

    def search(self, query: SearchQuery) -> SearchPage:
        s = search_entries
        filters, words = self._filters(query), self._words(query)
        offset, wanted = (query.page - 1) * query.per_page, query.per_page + 1
        # One row past the page says whether another page follows. Nothing is counted: counting
        # the matches of common words costs the engine a walk over all of them, on every page.
        if words and self._dialect == "postgresql":
            tsquery = self._tsquery(words)
            page_ids = self._newest_with(tsquery, filters, offset, wanted) if tsquery else []
        else:
            where = self._matching(query) or []
            page_ids = list(self.session.execute(
                sa.select(s.c.request_id).where(*where).order_by(s.c.submitted_at.desc(), s.c.id.desc())
                .limit(wanted).offset(offset)).scalars())
        return SearchPage(self._hits(page_ids[:query.per_page]), len(page_ids) > query.per_page)

    def _newest_with(self, tsquery: str, filters: list[Any], offset: int, wanted: int) -> list[str]:
        """PostgreSQL: the ids of the rows within ``filters`` that hold ``tsquery``, newest
        first, ``wanted`` of them after ``offset``.

        Words are found one of two ways: walking the rows newest first and checking each (cheap
        when they are common: the walk stops at the page's last row), or asking the GIN index for
        every match and ordering those (cheap when they are rare). The planner chooses from
        statistics that count words one at a time, and is wrong by orders of magnitude for words
        found together. So the data chooses: the newest rows are walked first
        (:data:`FIRST_WALK_PER_ROW` per row the page needs); if they hold the page, that is the
        answer. If they held a few (:data:`FOUND_TO_WALK_ON`), they tell how far the page lies,
        and the rows are walked again twice that far. Else the words are rare, and the index
        gives every match."""
        needed = offset + wanted
        first = min(MAX_WALK, FIRST_WALK_PER_ROW * needed)
        found = self._walk(tsquery, filters, first, needed)
        if FOUND_TO_WALK_ON <= len(found) < needed:
            far = min(MAX_WALK, math.ceil(first * needed / len(found) * 2))  # twice what they say
            found = self._walk(tsquery, filters, far, needed)
        if len(found) == needed or self._fewer_rows_than(filters, first):
            return found[offset:]  # the page, or every match: the walk saw every row
        # MATERIALIZED: every match first (the index's work), then their order; never the walk.
        s = search_entries
        matches = (sa.select(s.c.request_id, s.c.submitted_at, s.c.id).where(*filters, _holds(DOCUMENT_TSV, tsquery))
                   .cte("matches").prefix_with("MATERIALIZED"))
        return list(self.session.execute(
            sa.select(matches.c.request_id).order_by(matches.c.submitted_at.desc(), matches.c.id.desc())
            .limit(wanted).offset(offset)).scalars())

    def _walk(self, tsquery: str, filters: list[Any], rows: int, needed: int) -> list[str]:
        """The first ``needed`` ids holding ``tsquery`` among the newest ``rows`` within ``filters``."""
        s = search_entries
        newest = (sa.select(s.c.request_id, s.c.submitted_at, s.c.id, DOCUMENT_TSV.label("document_tsv"))
                  .where(*filters).order_by(s.c.submitted_at.desc(), s.c.id.desc()).limit(rows)
                  .subquery("newest"))
        # The words checked outside the subquery's LIMIT: the planner cannot make the walk a search.
        return list(self.session.execute(
            sa.select(newest.c.request_id).where(_holds(newest.c.document_tsv, tsquery))
            .order_by(newest.c.submitted_at.desc(), newest.c.id.desc()).limit(needed)).scalars())

    def _fewer_rows_than(self, filters: list[Any], rows: int) -> bool:
        """Whether fewer than ``rows`` rows are within ``filters`` (a commune's field in a month)."""
        if not filters:
            return False  # the whole index: never small enough to matter
        within = sa.select(sa.literal(1)).select_from(search_entries).where(*filters).limit(rows).subquery()
        return self.session.execute(sa.select(sa.func.count()).select_from(within)).scalar_one() < rows

    def _hits(self, request_ids: list[str]) -> tuple[SearchHit, ...]:
        if not request_ids:
            return ()
        r, a = requests.c, answers.c
        rows = {row["id"]: row for row in self.session.execute(
            sa.select(r.id, r.tracking_code, r.kind, r.field, r.locality_code, r.locality_name, r.title,
                      r.submitted_at).where(r.id.in_(request_ids))).mappings()}
        latest = {}
        for row in self.session.execute(sa.select(a.request_id, a.case_version, a.answered_at, a.explanation,
                                                  a.legal_basis).where(a.request_id.in_(request_ids))
                                        .order_by(a.case_version)).mappings():
            latest[row["request_id"]] = row  # the last one given wins
        return tuple(
            SearchHit(request_id, rows[request_id]["tracking_code"], rows[request_id]["kind"],
                      rows[request_id]["field"], rows[request_id]["locality_code"],
                      rows[request_id]["locality_name"], rows[request_id]["title"],
                      _aware(rows[request_id]["submitted_at"]), _aware(latest[request_id]["answered_at"]),
                      latest[request_id]["explanation"], latest[request_id]["legal_basis"])
            for request_id in request_ids if request_id in rows and request_id in latest)
