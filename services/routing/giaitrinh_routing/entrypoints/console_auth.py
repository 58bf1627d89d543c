"""The console's sign-in pages (*đăng nhập*): sign in (with the TOTP second factor where the
account has one), sign out, change the password; and the accounts admin page. They call the same
:class:`~giaitrinh_routing.service_layer.accounts.AccountService` as the sign-in API."""
from __future__ import annotations

from flask import Blueprint

pages = Blueprint("console_auth", __name__, url_prefix="/console", template_folder="templates")
