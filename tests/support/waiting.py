"""Waiting for asynchronous effects without sleeping blindly: poll a condition until it holds."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], *, timeout: float = 60, every: float = 0.2,
               what: str = "condition") -> T:
    """Call ``probe`` until it returns something truthy; return that, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T = probe()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f}s (last: {last!r})")
        time.sleep(every)
        last = probe()
    return last


def consume_until(consumer, probe: Callable[[], T], timeout: float = 60, what: str = "condition") -> T:
    """Drive a consumer's poll loop in this thread until ``probe`` holds."""
    def step():
        consumer.run_once(timeout=0.3)
        return probe()
    return eventually(step, timeout=timeout, every=0, what=what)
