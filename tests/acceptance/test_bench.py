"""The benchmarks must keep running; their figures are printed, never asserted."""

import subprocess
import sys

from tests.acceptance.support import ROOT


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
            sys.executable, "-m", "bench.generation", "--presets", "wan2.1-t2v-1.3b", "svd-xt",
            "--profiles", "full", "model-offload", "--caches", "taylorseer",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [[c.strip() for c in line.split("|")] for line in result.stdout.splitlines() if " | " in line]
    assert rows[0][:2] == ["preset", "variant"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("wan2.1-t2v-1.3b", "full"),
        ("wan2.1-t2v-1.3b", "full +taylorseer"),
        ("wan2.1-t2v-1.3b", "model-offload"),
        ("wan2.1-t2v-1.3b", "model-offload +taylorseer"),
        ("svd-xt", "full"),
        ("svd-xt", "full +taylorseer"),
        ("svd-xt", "model-offload"),
        ("svd-xt", "model-offload +taylorseer"),
    ]
    assert rows[2][-1].endswith("x") and rows[1][-1] == ""
