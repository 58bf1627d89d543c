"""The console's registry pages for admins (*quản trị*): units, officials and routing rules of a
locality, with CSV import and export checked row by row."""
from __future__ import annotations

from flask import Blueprint

pages = Blueprint("console_admin", __name__, url_prefix="/console/admin", template_folder="templates")
