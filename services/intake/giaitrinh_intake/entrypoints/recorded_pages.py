"""Tiếp nhận trực tiếp in the console: ``/console/tiep-nhan``, the form an official fills for a
person who asked directly, by hotline, at a voter meeting or by mail (the gateway sends this path
to intake, the rest of ``/console/`` to routing). The same path as the API
(:mod:`giaitrinh_intake.entrypoints.recorded`): the official's localities only, the receiving
official from the sign-in, and a receipt with the tracking code and the person's secret link, to
hand to them once. A plain form: no JavaScript."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict

from giaitrinh_common.auth import allow
from giaitrinh_common.ui.search import sort_key
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.domain.requester_link import link_path
from giaitrinh_intake.domain.validation import TEXT_LIMITS
from giaitrinh_intake.entrypoints.pages import FIELDS, KINDS
from giaitrinh_intake.entrypoints.recorded import RECORDERS, RECORDING_FIELDS, _not_yours, _official
from giaitrinh_intake.entrypoints.submission import FLAGS, REQUESTER_TYPES, TEXT_FIELDS, _invalid, form_command
from giaitrinh_intake.service_layer.handlers import InvalidSubmission

recorded_pages = Blueprint("intake_recorded_pages", __name__, url_prefix="/console", template_folder="templates")
CHANNELS = {"direct": _l("In person"), "hotline": _l("Hotline"), "voter_meeting": _l("Voter meeting"),
            "mail": _l("Mail")}


def _runtime() -> IntakeRuntime:
    return current_app.extensions["giaitrinh_runtime"]


def _render(values: dict, error: dict | None = None, status: int = 200):
    who = _official()
    served = [loc for loc in _runtime().localities.all() if who.may_see(loc.code)]
    return render_template(
        "intake/record.html", values=values, error=error, channels=list(CHANNELS.items()),
        locality_options=[(loc.code, loc.name) for loc in sorted(served, key=lambda loc: sort_key(loc.name))],
        kinds=KINDS, fields=FIELDS, requester_types=REQUESTER_TYPES, limits=TEXT_LIMITS), status


@recorded_pages.get("/tiep-nhan")
@allow(RECORDERS)
def record_form():
    """The empty form (``?kenh=`` picks the channel)."""
    return _render({"channel": request.args.get("kenh", "direct")[:20], "kind": "feedback", "field": "other",
                    "requester_type": "citizen"})


@recorded_pages.post("/tiep-nhan")
@allow(RECORDERS)
def record_submit():
    """Stored, then the receipt (201) with the tracking code and the person's secret link; 422
    with every problem beside its field; 403 for a locality the official does not serve."""
    who = _official()
    locality = request.form.get("locality_code", "").strip()
    if locality and not who.may_see(locality):
        raise _not_yours()
    form = ImmutableMultiDict([(k, v) for k, v in request.form.items(multi=True) if k not in RECORDING_FIELDS])
    cmd = dataclasses.replace(form_command(form, [], ""), channel=request.form.get("channel", "")[:20],
                              received_on=request.form.get("received_on", "")[:20], received_by=who.id)
    values = {name: getattr(cmd, name) for name in (*TEXT_FIELDS, *FLAGS, *RECORDING_FIELDS)}
    try:
        receipt = _runtime().submit(cmd)
    except InvalidSubmission as exc:
        return _render(values, _invalid(exc.problems), 422)
    link = _runtime().settings.public_base_url.rstrip("/") + link_path(receipt.secret)
    return render_template("intake/recorded.html", receipt=receipt, link=link,
                           channel=CHANNELS.get(cmd.channel, cmd.channel)), 201
