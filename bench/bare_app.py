"""The yardstick of ``submit-ratio``: a bare Flask app that answers ``POST /api/v1/requests`` as
intake does on the surface (parse the JSON body, answer 201 with a small JSON body and a
``Location``) and does nothing else — no validation, no database, no platform middleware.
gunicorn runs it with intake's own configuration (``bench/submit_ratio.py``), so what intake
costs on top of it is intake's own work.
"""
from __future__ import annotations

import itertools

from flask import Flask, Response, jsonify, request


def answer(number: int, body: object) -> Response:
    """The bare answer to submission ``number``: 201, a small JSON body, its ``Location``."""
    resp = jsonify(request_id=str(number), tracking_code=f"BARE-{number:08d}",
                   title=body.get("title", "") if isinstance(body, dict) else "")
    resp.status_code = 201
    resp.headers["Location"] = f"/api/v1/requests/BARE-{number:08d}"
    return resp


def create_app() -> Flask:
    app = Flask(__name__)
    numbers = itertools.count(1)

    @app.post("/api/v1/requests")
    def submit():
        return answer(next(numbers), request.get_json(force=True))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
