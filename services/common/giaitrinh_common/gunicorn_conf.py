"""Gunicorn settings for the web processes (``gunicorn -c python:giaitrinh_common.gunicorn_conf``).

With several gunicorn workers, prometheus_client keeps samples in PROMETHEUS_MULTIPROC_DIR;
a dead worker's live gauges must be dropped so the merged view stays true.
"""
import os


def child_exit(server, worker):  # gunicorn hook
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# The combined log format plus the request's trace id (the X-Trace-Id every answer carries),
# so an access log line leads to the events the request caused.
access_log_format = '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" trace=%({x-trace-id}o)s %(M)sms'

# gthread, with gunicorn's own errors (414 request line too long, 431 headers too large, 400 a
# request it cannot read) answered in the platform's bilingual JSON format.
worker_class = "giaitrinh_common.gunicorn_worker.JsonErrorWorker"
# gunicorn's limits, stated here because the error answers above depend on them: the request
# line (method, address, version) in bytes, the number of headers, and one header's size.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
