"""Gunicorn settings for the web processes (``gunicorn -c python:giaitrinh_common.gunicorn_conf``).

With several gunicorn workers, prometheus_client keeps samples in PROMETHEUS_MULTIPROC_DIR;
a dead worker's live gauges must be dropped so the merged view stays true.
"""
import os


def child_exit(server, worker):  # gunicorn hook
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
