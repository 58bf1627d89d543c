"""Message catalogs of the pages: every string a template or a page module marks for
translation (``_()``, ``gettext``, ``lazy_gettext``) is written in English in the source and
translated to Vietnamese in ``translations/vi/LC_MESSAGES/messages.po`` beside it. English is
the source language, so it needs no catalog: Flask-Babel shows the source text.

A *catalog root* is a folder with a ``translations/`` subfolder (the shell's own,
``giaitrinh_common/ui``; a service's ``entrypoints``). Its sources are the ``.py`` files and
``templates/**.html`` under it, extracted with Babel's own extractors (Jinja2's for templates).
The compiled ``.mo`` files are committed, so a fresh clone (and an image built from it) runs
without a build step; :func:`problems` fails the tests when one is older than its ``.po``.

    python -m giaitrinh_common.ui.catalogs update [ROOT ...]   # extract, merge into .po, compile
    python -m giaitrinh_common.ui.catalogs check  [ROOT ...]   # what `problems` finds; 1 if any
(``make translations`` runs ``update`` on every catalog root under ``services/``.)
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

TRANSLATED = ("vi",)  # the languages with a catalog (English is the source)
DOMAIN = "messages"
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
PROJECT = "Giải Trình"


def catalog_roots(under: Path) -> list[Path]:
    """Every folder under ``under`` that keeps a ``translations/`` folder for its pages."""
    return sorted(p.parent for p in under.rglob("translations") if p.is_dir() and "site-packages" not in p.parts)


def extract(root: Path) -> Catalog:
    """The messages the sources under ``root`` mark for translation, by Babel's extractors."""
    template = Catalog(project=PROJECT, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), METHOD_MAP, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(root: Path, lang: str) -> Path:
    return root / "translations" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def _messages(catalog: Catalog) -> dict:
    """id → translation of every translated message, plural forms as tuples (what a .mo holds)."""
    def flat(value):
        return tuple(value) if isinstance(value, list | tuple) else value
    return {flat(m.id): flat(m.string) for m in catalog if m.id and _translated(m) and not m.fuzzy}


def _compiled(path: Path) -> dict:
    with path.open("rb") as f:
        return _messages(read_mo(f))


def problems(root: Path) -> list[str]:
    """What keeps the catalogs of ``root`` from matching its sources, one line each: a source
    string missing from a catalog, one untranslated or fuzzy, one no source uses any more, a
    ``.mo`` that does not hold what its ``.po`` says. Empty when all is well."""
    found: list[str] = []
    wanted = {m.id: m for m in extract(root) if m.id}
    for lang in TRANSLATED:
        po = po_path(root, lang)
        if not po.exists():
            return [f"{po}: missing ({len(wanted)} messages to translate)"]
        catalog = read_catalog(po, lang)
        have = {m.id: m for m in catalog if m.id}
        for msgid, message in wanted.items():
            where = ", ".join(f"{Path(f).as_posix()}:{n}" for f, n in message.locations[:2])
            if msgid not in have:
                found.append(f"{po}: missing {_short(msgid)} ({where})")
            elif not _translated(have[msgid]):
                found.append(f"{po}: not translated {_short(msgid)} ({where})")
            elif have[msgid].fuzzy:
                found.append(f"{po}: fuzzy {_short(msgid)}")
        found += [f"{po}: no source uses {_short(msgid)}" for msgid in have if msgid not in wanted]
        mo = po.with_suffix(".mo")
        if not mo.exists() or _compiled(mo) != _messages(catalog):
            found.append(f"{mo}: out of date with {po.name} (run: make translations)")
    return found


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(s for s in strings)


def _short(msgid) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return repr(text if len(text) <= 60 else text[:60] + "…")


def update(root: Path) -> None:
    """Merge the sources' messages into each catalog of ``root`` (new ones untranslated, gone
    ones dropped), then compile it."""
    template = extract(root)
    for lang in TRANSLATED:
        po = po_path(root, lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalog(po, lang) if po.exists() else _new_catalog(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(po, catalog)
        compile_catalog(po, lang)


def _new_catalog(lang: str) -> Catalog:
    who = f"{PROJECT} contributors"
    return Catalog(locale=lang, domain=DOMAIN, project=PROJECT, version="1", copyright_holder=who,
                   msgid_bugs_address="", last_translator=who, language_team=who, fuzzy=False)


def compile_catalog(po: Path, lang: str) -> None:
    catalog = read_catalog(po, lang)
    with po.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)


def _write(po: Path, catalog: Catalog) -> None:
    with po.open("wb") as f:
        write_po(f, catalog, width=100, include_lineno=False, sort_output=False)


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in {"update", "check"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, given = args[0], [Path(a) for a in args[1:]] or [Path("services")]
    roots = [r for g in given for r in ([g] if (g / "translations").is_dir() else catalog_roots(g))]
    failed = False
    for root in roots:
        if command == "update":
            update(root)
        for line in problems(root):
            failed = True
            print(line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
