"""The officials' console (*bàn làm việc của cán bộ*): the inbox of cases by next deadline, the
case page with the actions allowed now, answer templates, bulk actions for heads and the
supervisors' view across a locality. Pages in the shared shell, under ``/console/``."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

pages = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"  # routing's pages' catalog
