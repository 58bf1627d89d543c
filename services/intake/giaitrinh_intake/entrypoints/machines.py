"""What intake offers other programs beside its native API, put on the app in one place:
Open311 GeoReport v2, ``Idempotency-Key`` on every POST, public search (API and page) and the
OpenAPI document of ``/api/v1``."""
from __future__ import annotations

from flask import Flask

from giaitrinh_common.openapi import openapi_blueprint
from giaitrinh_intake.adapters.idempotency import SqlIdempotencyStore
from giaitrinh_intake.bootstrap import IntakeRuntime
from giaitrinh_intake.entrypoints.idempotency import install_idempotency
from giaitrinh_intake.entrypoints.open311 import install_open311
from giaitrinh_intake.entrypoints.search import search_api, search_pages


def install_machine_interfaces(app: Flask, runtime: IntakeRuntime) -> None:
    # Open311's POST checks api_keys against the registry's publishers; a runtime may carry
    # others (tests, the standalone trial) as ``publisher_keys``.
    install_open311(app, getattr(runtime, "publisher_keys", None))
    install_idempotency(app, SqlIdempotencyStore(runtime.storage.engine), runtime.now)
    app.register_blueprint(search_api)
    app.register_blueprint(search_pages)
    app.register_blueprint(openapi_blueprint("intake", "giaitrinh_intake.entrypoints"))  # /api/v1/openapi.json
