"""``Idempotency-Key`` on intake's POSTs (the JSON API and Open311): a client that retries a POST
with the same key and the same body gets the first answer (status and body) again, never a
second request; the same key with another body — for a multipart form, other fields or other
files — is refused (422). A key is kept for
:data:`~giaitrinh_intake.adapters.idempotency.KEY_LIFETIME` (24 hours) from its first use.

The key is claimed before the view runs (:mod:`giaitrinh_intake.adapters.idempotency`); a
second POST arriving while the first is still being handled waits for its answer, up to
:data:`WAIT_SECONDS`, then answers 409 with ``Retry-After``. Only successful answers (2xx) are
kept: after an error nothing was made, the key is given up and the client may send again.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time

from flask import Flask, Response, current_app, g, request

from giaitrinh_common.web import ApiError, detail
from giaitrinh_intake.adapters.idempotency import SqlIdempotencyStore, StoredAnswer

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WAIT_SECONDS = 10.0  # longer than any submission takes; a client's own timeout is usually 30 s
_POLL_SECONDS = 0.05
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII: a UUID, a ULID, a hash
PREFIXES = ("/api/v1/", "/open311/v2/")  # intake's POSTs that make or change something


def _store() -> SqlIdempotencyStore:
    return current_app.extensions["giaitrinh_idempotency"]


def _fingerprint() -> str:
    """SHA-256 of what the body means: JSON with its keys sorted, a form's fields sorted, a
    multipart form's fields and files (:func:`_multipart`), else the bytes. The same request
    written with other spacing, order or multipart boundary is the same request."""
    if request.mimetype == "multipart/form-data":
        canonical = _multipart()
    else:
        raw = request.get_data(cache=True)
        canonical = raw
        if request.mimetype == "application/x-www-form-urlencoded":
            canonical = json.dumps(sorted(request.form.items(multi=True))).encode()
        elif request.is_json:
            # Not JSON, or nested past the parser's depth: the view refuses it; the bytes stand for it.
            with contextlib.suppress(ValueError, RecursionError):
                canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.mimetype.encode() + b"\n" + canonical).hexdigest()


def _multipart() -> bytes:
    """A multipart form as its sorted fields and its files in the order sent, each by its field,
    its name and the SHA-256 of its content: a retry encodes the same form with a new boundary,
    while another file under the same key is another body. Each file is read from its start
    again afterwards, for the view."""
    files = []
    for field, upload in request.files.items(multi=True):
        digest = hashlib.sha256()
        for chunk in iter(lambda upload=upload: upload.stream.read(64 * 1024), b""):
            digest.update(chunk)
        upload.stream.seek(0)
        files.append([field, upload.filename or "", digest.hexdigest()])
    return json.dumps({"fields": sorted(request.form.items(multi=True)), "files": files}).encode()


def _bad_key() -> ApiError:
    return ApiError(400, "invalid_idempotency_key",
                    "Idempotency-Key phải gồm 1–255 ký tự ASCII nhìn thấy được (ví dụ một UUID).",
                    "Idempotency-Key must be 1–255 visible ASCII characters (a UUID, for example).",
                    [detail(HEADER, "invalid", "Dùng một UUID mới cho mỗi yêu cầu.",
                            "Use a new UUID for each request.")])


def _other_body() -> ApiError:
    return ApiError(422, "idempotency_key_reused",
                    "Idempotency-Key này đã được dùng cho một yêu cầu có nội dung khác; hãy dùng khóa mới.",
                    "This Idempotency-Key was used for a request with another body; use a new key.",
                    [detail(HEADER, "reused_with_another_body", "Mỗi yêu cầu khác nhau cần một khóa khác nhau.",
                            "Each different request needs its own key.")])


def _in_progress() -> ApiError:
    return ApiError(409, "idempotency_key_in_progress",
                    "Yêu cầu đầu tiên với Idempotency-Key này đang được xử lý; hãy thử lại sau giây lát.",
                    "The first request with this Idempotency-Key is still being handled; try again shortly.",
                    headers={"Retry-After": "1"})


def _replay(answer: StoredAnswer) -> Response:
    resp = Response(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.location:
        resp.headers["Location"] = answer.location
    resp.headers[REPLAYED] = "true"
    return resp


def install_idempotency(app: Flask, store: SqlIdempotencyStore, now) -> None:
    """Serve ``Idempotency-Key`` on every POST under :data:`PREFIXES` of ``app``; ``now`` is
    the runtime's clock (an aware datetime), so tests move time to expire keys."""
    app.extensions["giaitrinh_idempotency"] = store

    @app.before_request
    def _claim_or_replay():
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(PREFIXES):
            return None
        if request.url_rule is None:  # 404/405 follow as without a key
            return None
        if not _KEY.match(key):
            raise _bad_key()
        scope = f"POST {request.path}"
        who = g.get("principal")  # set by auth.install_auth, which runs first
        if who is not None:  # a signed-in caller's keys are their own: one official never replays another's answer
            scope += f" {who.id[:100]}"
        body_hash = _fingerprint()
        deadline = time.monotonic() + WAIT_SECONDS
        claim = _store().claim(scope, key, body_hash, now())
        while not claim.claimed:
            if claim.body_sha256 != body_hash:
                raise _other_body()
            if claim.answer is not None:
                return _replay(claim.answer)
            if time.monotonic() >= deadline:
                raise _in_progress()
            time.sleep(_POLL_SECONDS)
            seen = _store().look(scope, key, now())
            claim = seen if seen is not None else _store().claim(scope, key, body_hash, now())
        g.idempotency_claim = (scope, key)
        return None

    @app.after_request
    def _keep_the_answer(response: Response) -> Response:
        claimed = g.pop("idempotency_claim", None)
        if claimed is None:
            return response
        if 200 <= response.status_code < 300:
            _store().complete(*claimed, StoredAnswer(
                response.status_code, response.content_type or "application/json",
                response.headers.get("Location"), response.get_data(as_text=True)))
        else:
            _store().release(*claimed)
        return response

    @app.teardown_request
    def _give_up_on_failure(_exc):
        # An answer that never reached after_request (the app failed while answering).
        claimed = g.pop("idempotency_claim", None)
        if claimed is not None:
            _store().release(*claimed)
