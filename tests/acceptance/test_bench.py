"""The benchmarks must keep running; their figures are printed, never asserted."""

import subprocess
import sys

from tests.acceptance.harness import ROOT


def test_interaction_latency_bench_runs_and_prints_its_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.interaction_latency", "--count", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "defer" in result.stdout and "p99 ms" in result.stdout
