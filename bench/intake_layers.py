"""intake's web app with its submit path cut short after a given layer, for ``submit-layers``
(``bench/submit_ratio.py``): what each layer costs the gunicorn worker, measured under the same
configuration as the bare endpoint. For the benchmark only: it patches intake in its own process.

``GIAITRINH_BENCH_LAYER`` names the last layer kept:

``platform``  intake's app with the platform's hooks (proxy headers, trace id, body limit, the
              route's policy and CSRF check, metrics, the trace header) and the JSON body read
              and checked; the view then answers 201 as the bare endpoint does.
``view``      and intake's view: the body made a command, the answer with its ``Location``; the
              runtime's submit hands back a fixed receipt.
``domain``    and the submission itself: its rules, the tracking code and secret, the request
              and its event (checked against its contract), the unit of work and its rows;
              only the group commit's write is left out (it returns at once, writing nothing).
``full``      intake as deployed.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

from bare_app import answer
from flask import Flask

LAYERS = ("platform", "view", "domain", "full")


def create_app() -> Flask:
    from giaitrinh_common.web import json_body
    from giaitrinh_intake.adapters.group_commit import GroupCommit
    from giaitrinh_intake.bootstrap import IntakeRuntime
    from giaitrinh_intake.entrypoints import web
    from giaitrinh_intake.service_layer.handlers import Receipt

    layer = os.environ.get("GIAITRINH_BENCH_LAYER", "full")
    if layer not in LAYERS:
        raise SystemExit(f"GIAITRINH_BENCH_LAYER={layer!r}: one of {', '.join(LAYERS)}")
    if layer in ("platform", "view"):
        receipt = Receipt("0192e3a4-5b6c-7d8e-9f00-112233445566", "GT-7K3M-9QXT-W",
                          datetime(2026, 11, 29, tzinfo=UTC), secret="s" * 43)
        IntakeRuntime.submit = lambda self, cmd: receipt  # type: ignore[method-assign]
    if layer == "domain":
        GroupCommit.commit = lambda self, writes: None  # type: ignore[method-assign]
    app = web.create_app()
    if layer == "platform":
        def answer_at_once():
            return answer(1, json_body())  # the bare endpoint's answer, after the platform's checks
        app.view_functions["intake_api.submit"] = answer_at_once
    return app
