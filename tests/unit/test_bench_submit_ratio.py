"""The submit-ratio benchmark's own arithmetic (bench/submit_ratio.py): the ratio of each round
pairs intake's run with the bare endpoint's run of the same round and path, back to back in time."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from giaitrinh_platform.supervisor import Platform

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))  # bench/ is no package

from submit_ratio import WrkRun, round_ratios, summarise, web_argv


def run(target: str, path: str, requests: int) -> WrkRun:
    return WrkRun(target, path, requests, 10.0, 0, 1.0, 2.0, 3.0, 0.5, 1.0)


# Three rounds, each gateway then direct, bare then intake; the machine is twice as fast in round 2.
RUNS = [run("bare", "gateway", 8000), run("intake", "gateway", 2000), run("bare", "direct", 9000),
        run("intake", "direct", 3000),
        run("bare", "gateway", 16000), run("intake", "gateway", 6000), run("bare", "direct", 18000),
        run("intake", "direct", 6000),
        run("bare", "gateway", 8000), run("intake", "gateway", 3000), run("bare", "direct", 9000),
        run("intake", "direct", 3000)]


def test_each_rounds_ratio_is_intake_over_the_bare_run_of_the_same_round_and_path():
    assert round_ratios(RUNS, "gateway") == pytest.approx([0.25, 0.375, 0.375])
    assert round_ratios(RUNS, "direct") == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_the_summary_gives_the_rounds_own_ratios_median_lowest_and_highest_beside_the_ratio_of_medians():
    found = {m.what: m.value for m in summarise(RUNS)}
    assert found["gateway: ratio intake / bare (target ≥ 0.5)"] == pytest.approx(3000 / 8000)
    assert found["gateway: ratio intake / bare, median of the rounds' own"] == pytest.approx(0.375)
    assert found["gateway: ratio intake / bare, lowest of the rounds' own"] == pytest.approx(0.25)
    assert found["gateway: ratio intake / bare, highest of the rounds' own"] == pytest.approx(0.375)
    assert found["direct: ratio intake / bare, median of the rounds' own"] == pytest.approx(1 / 3)


def test_both_apps_run_under_the_same_gunicorn_command_with_the_thread_count_chosen(tmp_path):
    platform = Platform(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9", base_env={}, web_threads=8)
    intake = web_argv(platform, 5001, "giaitrinh_intake.entrypoints.web:create_app()", "intake")
    bare = web_argv(platform, 5002, "bare_app:create_app()", "bare")
    for argv in (intake, bare):
        assert argv[argv.index("--threads") + 1] == "8"
        assert argv[argv.index("--workers") + 1] == "1"
    # Only the address, the control socket and the application tell the two commands apart.
    differ_after = {intake[i - 1] for i, (a, b) in enumerate(zip(intake, bare, strict=True)) if a != b}
    assert differ_after <= {"--bind", "--control-socket", intake[-2]}
    assert intake[-1] != bare[-1]
