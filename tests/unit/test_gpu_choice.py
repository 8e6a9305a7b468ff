"""``[worker] gpu``: one GPU per worker on a machine with several, held with real file locks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.gpu_choice import VISIBLE, NoFreeGpuError, choose_gpu, visible_gpus


def test_auto_gives_each_worker_its_own_gpu_until_none_is_free(tmp_path: Path) -> None:
    environs = [{VISIBLE: "0,1"} for _ in range(3)]  # three workers' processes, two GPUs
    first = choose_gpu("auto", tmp_path, environs[0])
    second = choose_gpu("auto", tmp_path, environs[1])
    assert (first.gpu, second.gpu) == ("0", "1")
    assert [e[VISIBLE] for e in environs[:2]] == ["0", "1"]  # each sees its GPU alone
    with pytest.raises(NoFreeGpuError, match=r"all 2 GPU\(s\) here \(0, 1\) are held"):
        choose_gpu("auto", tmp_path, environs[2])
    assert environs[2][VISIBLE] == "0,1"  # unchanged when nothing was chosen
    first.release()  # a worker stops (or dies): its GPU is free again
    assert choose_gpu("auto", tmp_path, environs[2]).gpu == "0"
    second.release()


def test_an_index_narrows_to_that_gpu_and_empty_leaves_every_gpu(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert choose_gpu("", tmp_path, environ).gpu is None and environ == {}
    assert choose_gpu("1", tmp_path, environ).gpu == "1" and environ == {VISIBLE: "1"}


def test_gpus_are_those_cuda_may_see_else_those_the_driver_lists(tmp_path: Path) -> None:
    driver = tmp_path / "gpus"
    for bus in ("0000:01:00.0", "0000:02:00.0", "0000:03:00.0"):
        (driver / bus).mkdir(parents=True)
    assert visible_gpus({}, driver) == ["0", "1", "2"]
    assert visible_gpus({VISIBLE: "2, 0"}, driver) == ["2", "0"]
    assert visible_gpus({VISIBLE: ""}, driver) == [] and visible_gpus({}, tmp_path / "none") == []
    with pytest.raises(NoFreeGpuError, match="shows no NVIDIA GPU"):
        choose_gpu("auto", tmp_path / "locks", {}, tmp_path / "none")
