"""Giao diện chung — the presentation every service's pages share: the base layout, macros
(forms, errors, pagination, icons), the CSS, the language of the page and the HTML error page.

Services keep their own pages (blueprints and templates in their ``entrypoints/``) and put
this shell on their app with :func:`install_pages`; see :mod:`giaitrinh_common.ui.shell`.
"""
from giaitrinh_common.ui.shell import (
    LANGUAGE_COOKIE,
    LANGUAGES,
    Pagination,
    current_language,
    in_language,
    install_pages,
    wants_page,
)

__all__ = ["LANGUAGES", "LANGUAGE_COOKIE", "Pagination", "current_language", "in_language", "install_pages",
           "wants_page"]
