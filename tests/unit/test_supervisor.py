"""`giaitrinh up`'s supervision: when a child that exited is started again, and when the
platform gives up on it. Time is a fake clock; nothing sleeps."""
import functools
import logging
from pathlib import Path

import pytest

from giaitrinh_platform.supervisor import GaveUp, RestartPolicy, Supervisor


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def crash_loop(policy: RestartPolicy, clock: FakeClock, times: int, ran_for: float = 0.1) -> list:
    """The child runs ``ran_for`` seconds and exits, ``times`` times, each restart on time."""
    delays = []
    for _ in range(times):
        clock.advance(ran_for)
        delay = policy.after_exit()
        delays.append(delay)
        if delay is None:
            break
        clock.advance(delay)
        policy.started()
    return delays


def test_the_back_off_doubles_while_the_child_keeps_exiting(clock):
    policy = RestartPolicy(first_delay=1, max_delay=60, max_restarts=10, clock=clock)
    policy.started()
    assert crash_loop(policy, clock, 5) == [1, 2, 4, 8, 16]


def test_the_back_off_stops_growing_at_its_cap(clock):
    policy = RestartPolicy(first_delay=1, max_delay=5, max_restarts=10, clock=clock)
    policy.started()
    assert crash_loop(policy, clock, 6) == [1, 2, 4, 5, 5, 5]


def test_a_child_restarted_too_often_within_the_window_is_given_up(clock):
    policy = RestartPolicy(first_delay=1, max_delay=4, max_restarts=3, window=60, clock=clock)
    policy.started()
    assert crash_loop(policy, clock, 4) == [1, 2, 4, None]


def test_restarts_older_than_the_window_no_longer_count_against_the_limit(clock):
    policy = RestartPolicy(first_delay=1, max_delay=4, max_restarts=3, window=60,
                           quiet_period=1000, clock=clock)
    policy.started()
    assert crash_loop(policy, clock, 3) == [1, 2, 4]
    clock.advance(61)  # the first restart leaves the window; the streak goes on
    assert policy.after_exit() == 4


def test_a_child_that_ran_for_a_quiet_period_starts_again_with_the_first_delay(clock):
    policy = RestartPolicy(first_delay=1, max_delay=30, max_restarts=10, quiet_period=60,
                           clock=clock)
    policy.started()
    assert crash_loop(policy, clock, 4) == [1, 2, 4, 8]
    assert crash_loop(policy, clock, 2, ran_for=60) == [1, 1]
    assert crash_loop(policy, clock, 2) == [2, 4]


def test_nonsense_limits_are_refused():
    with pytest.raises(ValueError):
        RestartPolicy(first_delay=10, max_delay=1)
    with pytest.raises(ValueError):
        RestartPolicy(max_restarts=0)


class ScriptedChild:
    """A child whose exits the test decides (the supervisor only ever sees the protocol)."""

    name = "intake-worker"
    log_path = Path("/var/giaitrinh/logs/intake-worker.log")

    def __init__(self) -> None:
        self.starts = 0
        self.code: int | None = None

    def start(self) -> None:
        self.starts += 1
        self.code = None

    def exit_code(self) -> int | None:
        return self.code


def test_the_supervisor_logs_an_exit_and_starts_the_child_again_after_its_back_off(clock, caplog):
    supervisor = Supervisor(clock=clock)
    child = ScriptedChild()
    supervisor.start(child)
    child.code = -9
    with caplog.at_level(logging.INFO, logger="giaitrinh_platform.supervisor"):
        supervisor.check()
        assert child.starts == 1  # not at once: the first back-off is a second
        clock.advance(0.9)
        supervisor.check()
        assert child.starts == 1
        clock.advance(0.1)
        supervisor.check()
    assert child.starts == 2
    exit_line = caplog.messages[0]
    assert "intake-worker exited (code -9 (SIGKILL))" in exit_line
    assert "again in 1s" in exit_line and str(child.log_path) in exit_line
    assert caplog.messages[1] == "intake-worker started again"


def test_the_supervisor_gives_up_loudly_on_a_child_that_keeps_exiting(clock, caplog):
    supervisor = Supervisor(clock=clock, restart_policy=functools.partial(
        RestartPolicy, first_delay=1, max_delay=1, max_restarts=2, window=60))
    child = ScriptedChild()
    supervisor.start(child)
    for _ in range(2):
        child.code = 3
        supervisor.check()
        clock.advance(1)
        supervisor.check()
    assert child.starts == 3
    child.code = 3
    with pytest.raises(GaveUp) as gave_up:
        supervisor.check()
    assert gave_up.value.child is child
    assert "intake-worker keeps exiting (last: code 3" in str(gave_up.value)
    assert str(child.log_path) in str(gave_up.value)
    assert caplog.records[-1].levelno == logging.ERROR


def test_a_child_that_fails_to_start_again_is_retried_with_the_next_back_off(clock, caplog):
    supervisor = Supervisor(clock=clock)
    child = ScriptedChild()
    supervisor.start(child)
    child.code = 1

    def broken_start():
        raise OSError("No such file or directory: 'java'")

    child.start = broken_start
    supervisor.check()
    clock.advance(1)
    supervisor.check()  # the restart fails: the next one waits 2 s
    assert "could not be started: No such file or directory" in caplog.text
    assert "failed to start); starting it again in 2s" in caplog.messages[-1]
