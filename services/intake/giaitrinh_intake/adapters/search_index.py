"""The public search's index, with each engine's own full-text search (revision
0006_search_and_idempotency):

- PostgreSQL: a GIN index on the stored column ``document_tsv`` =
  ``to_tsvector('simple', giaitrinh_unaccent(document))``; the ``unaccent`` extension takes the
  diacritics off the documents (đ as d) and :func:`fold` the same off the query.
- SQLite: the FTS5 table ``search_entries_fts`` holds the folded document under the rowid of its
  ``search_entries`` row (FTS5's own diacritic removal keeps đ), written here in the same
  transaction as the row.

Both answer the same :class:`SearchQuery` with the same rows: every word, whole except the
last, which may be cut short (``dong & ha:*``), in any order, newest first.
"""
from __future__ import annotations

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
PLANNER_BUDGET_MS = 150  # the planner's own plan; then the full-text index's (see _page_ids)
QUERY_CANCELED = "57014"  # PostgreSQL's query_canceled: the statement_timeout ran out


def words_of(text: str) -> list[str]:
    """The words of a query as the index holds them: folded, letters and digits only (so no
    query syntax of either engine can be written into one), at most :data:`MAX_WORDS`."""
    return _WORD.findall(fold(text[:MAX_QUERY_CHARS]))[:MAX_WORDS]


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

    def remove(self, request_id: str) -> None:
        s = search_entries
        row_id = self.session.execute(sa.select(s.c.id).where(s.c.request_id == request_id)).scalar()
        if row_id is None:
            return
        if self._dialect == "sqlite":
            self.session.execute(sa.text("DELETE FROM search_entries_fts WHERE rowid = :id"), {"id": row_id})
        self.session.execute(sa.delete(s).where(s.c.id == row_id))

    def _matching(self, query: SearchQuery):
        s = search_entries
        where: list[Any] = []  # SQL conditions: columns' and the engines' own full-text ones
        words = [w for word in query.words for w in words_of(word)][:MAX_WORDS]
        # Every word whole but the last, which may still be being typed: a prefix. (A prefix
        # costs the index a look at every word it begins; whole words cost one look each.)
        whole, last = words[:-1], words[-1:]
        if words and self._dialect == "postgresql":
            terms = [*whole, *(f"{w}:*" for w in last)]
            where.append(sa.text("search_entries.document_tsv @@ to_tsquery('simple', :tsquery)")
                         .bindparams(tsquery=" & ".join(terms)))
        elif words:
            terms = [*(f'"{w}"' for w in whole), *(f"{w}*" for w in last)]
            where.append(s.c.id.in_(sa.text("SELECT rowid FROM search_entries_fts WHERE search_entries_fts "
                                            "MATCH :match").bindparams(match=" ".join(terms))
                                    .columns(sa.column("rowid"))))
        if query.locality_code:
            where.append(s.c.locality_code == query.locality_code)
        if query.field:
            where.append(s.c.field == query.field)
        if query.since is not None:
            where.append(s.c.submitted_at >= query.since)
        if query.until is not None:
            where.append(s.c.submitted_at < query.until)
        return where

    def search(self, query: SearchQuery) -> SearchPage:
        s = search_entries
        where = self._matching(query)
        # One row past the page says whether another page follows. Nothing is counted: counting
        # the matches of common words costs the engine a walk over all of them, on every page.
        page = (sa.select(s.c.request_id).where(*where).order_by(s.c.submitted_at.desc(), s.c.id.desc())
                .limit(query.per_page + 1).offset((query.page - 1) * query.per_page))
        page_ids = self._page_ids(page)
        return SearchPage(self._hits(page_ids[:query.per_page]), len(page_ids) > query.per_page)

    def _page_ids(self, page) -> list[str]:
        """The page's ids. On PostgreSQL the planner walks the newest-first index and checks
        each row's words when it expects the words to be common, and asks the full-text index
        when it expects them rare; a wrong guess (words it has no statistics for) could walk the
        whole table. So its plan gets :data:`PLANNER_BUDGET_MS`; past that, the full-text index
        answers (its cost follows the matches, not the table)."""
        if self._dialect != "postgresql":
            return list(self.session.execute(page).scalars())
        try:
            with self.session.begin_nested():
                self.session.execute(sa.text(f"SET LOCAL statement_timeout = {PLANNER_BUDGET_MS}"))
                return list(self.session.execute(page).scalars())
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != QUERY_CANCELED:
                raise
        with self.session.begin_nested():
            self.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
            self.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            return list(self.session.execute(page).scalars())

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
