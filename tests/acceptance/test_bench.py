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


def test_generation_bench_runs_on_cpu_and_prints_its_table() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.generation",
            "--families",
            "wan",
            "svd",
            "--profiles",
            "full",
            "model-offload",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["wan"], ["svd"])]
    assert [(r[0], r[1]) for r in rows] == [
        ("wan", "full"),
        ("wan", "model-offload"),
        ("svd", "full"),
        ("svd", "model-offload"),
    ]
