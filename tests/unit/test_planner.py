"""The memory planner: estimates checked against published peaks, and the profile each card gets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generation.__main__ import plan_table, profile_table
from generation.memory import (
    GIB,
    Clip,
    Footprint,
    MemoryOptions,
    Profile,
    footprint_of,
    needed_bytes,
    plan,
    profile_peaks,
)
from generation.planning import CARD_SIZES_GIB, free_on_card, plan_preset, preset_clip
from generation.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]
GB = 1e9


def _peak(preset: str, clip: Clip, profile: Profile, tiled: bool, without: tuple[str, ...] = ()) -> float:
    footprint = footprint_of(PRESETS[preset].architecture)  # type: ignore[arg-type]
    weights = {k: v for k, v in footprint.weights.items() if k not in without}
    reduced = Footprint(weights, footprint.denoisers, footprint.geometry)
    return profile_peaks(reduced, clip, tiled)[profile] / GB


# Published peaks, in GB, and what the planner estimates for the same setting. Each row names its source.
PUBLISHED = [
    # diffusers docs, CogVideoX (docs/source/en/api/pipelines/cogvideox.md): 49 frames at 720x480,
    # "33 GB" without offload, "19 GB" with model CPU offload, "11 GB" with offload and VAE tiling.
    ("cogvideox-2b", Clip(720, 480, 49), Profile.FULL, False, (), 33.0),
    ("cogvideox-2b", Clip(720, 480, 49), Profile.MODEL_OFFLOAD, False, (), 19.0),
    ("cogvideox-2b", Clip(720, 480, 49), Profile.MODEL_OFFLOAD, True, (), 11.0),
    # Wan 2.1 README, RTX 4090: T2V-1.3B at 480p, 81 frames, offloading with T5 on the CPU, 8.19 GB.
    ("wan2.1-t2v-1.3b", Clip(832, 480, 81), Profile.MODEL_OFFLOAD, False, ("text_encoder",), 8.19),
    # Wan 2.2 README: TI2V-5B at 720p (1280x704, 121 frames) on a 4090, offload and T5 on the CPU, 22.9 GB;
    # T2V-A14B at 480p on an H100 with offload, 41.3 GB.
    ("wan2.2-ti2v-5b", Clip(1280, 704, 121), Profile.MODEL_OFFLOAD, False, ("text_encoder",), 22.9),
    ("wan2.2-t2v-a14b-lightning", Clip(832, 480, 81), Profile.MODEL_OFFLOAD, False, ("text_encoder",), 41.3),
    # HunyuanVideo README: 720x1280x129 needs 60 GB, 544x960x129 needs 45 GB (embedded guidance: one pass).
    ("hunyuanvideo", Clip(1280, 720, 129, guided=False), Profile.FULL, True, (), 60.0),
    ("hunyuanvideo", Clip(960, 544, 129, guided=False), Profile.FULL, True, (), 45.0),
]


@pytest.mark.parametrize(("preset", "clip", "profile", "tiled", "without", "published"), PUBLISHED)
def test_estimates_are_within_a_fifth_of_the_published_peaks(
    preset: str, clip: Clip, profile: Profile, tiled: bool, without: tuple[str, ...], published: float
) -> None:
    estimate = _peak(preset, clip, profile, tiled, without)
    assert published * 0.8 <= estimate <= published * 1.2, f"{estimate:.1f} GB estimated"


def test_the_planning_margin_covers_every_published_peak() -> None:
    """A plan asks for the estimate plus its margin: never less than what was measured."""
    from generation.memory import PLANNING_MARGIN

    for preset, clip, profile, tiled, without, published in PUBLISHED:
        assert _peak(preset, clip, profile, tiled, without) * PLANNING_MARGIN >= published * 0.95, preset


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_more_memory_never_chooses_a_slower_profile(preset: str) -> None:
    order = list(Profile)
    ranks = [order.index(plan_preset(PRESETS[preset], gib).profile) for gib in range(4, 161, 4)]
    assert ranks == sorted(ranks, reverse=True)


@settings(max_examples=60, deadline=None)
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    gib=st.integers(min_value=4, max_value=160),
    seconds=st.floats(min_value=1, max_value=19),
)
def test_a_longer_clip_never_gets_a_faster_profile(preset: str, gib: int, seconds: float) -> None:
    p = PRESETS[preset]
    order = list(Profile)
    short = plan_preset(p, gib, preset_clip(p, frames=p.family.frames_for(seconds, p.defaults.fps)))
    long = plan_preset(p, gib, preset_clip(p, frames=p.family.frames_for(seconds + 1, p.defaults.fps)))
    assert order.index(long.profile) >= order.index(short.profile)
    if long.profile is short.profile:
        assert long.vae_tiling or not short.vae_tiling, "a longer clip never drops tiling"


def test_a_card_is_planned_on_what_is_free_once_cuda_has_started() -> None:
    """A 24 GB card is 24 GiB less the driver's share and CUDA's context: the plan must fit in that."""
    preset = PRESETS["wan2.1-t2v-1.3b"]
    for gib in CARD_SIZES_GIB:
        result = plan_preset(preset, gib)
        if result.fits:
            assert needed_bytes(result.peak_bytes) <= free_on_card(gib) < gib * GIB


def test_a_longer_clip_needs_more_memory() -> None:
    footprint = footprint_of(PRESETS["wan2.1-t2v-1.3b"].architecture)  # type: ignore[arg-type]
    short = profile_peaks(footprint, Clip(832, 480, 33), tiled=False)
    long = profile_peaks(footprint, Clip(832, 480, 81), tiled=False)
    assert all(long[p] >= short[p] for p in Profile)
    assert long[Profile.FULL] > short[Profile.FULL]


def test_fp8_halves_the_denoiser_and_can_change_the_plan() -> None:
    preset = PRESETS["ltx-video-13b-distilled"]
    bf16, fp8 = (footprint_of(preset.architecture, fp8=f) for f in (False, True))  # type: ignore[arg-type]
    assert fp8.weights["transformer"] * 2 == bf16.weights["transformer"]
    assert fp8.weights["text_encoder"] == bf16.weights["text_encoder"]
    assert plan_preset(preset, 48).profile is Profile.FULL
    assert plan_preset(preset, 40).profile is not Profile.FULL
    assert plan_preset(preset, 40, options=MemoryOptions(fp8=True)).profile is Profile.FULL


def test_an_owner_choice_of_profile_and_tiling_is_kept() -> None:
    preset = PRESETS["wan2.1-t2v-1.3b"]
    chosen = plan_preset(preset, 80, options=MemoryOptions(profile="group-offload", vae_tiling=True))
    assert (chosen.profile, chosen.vae_tiling) == (Profile.GROUP_OFFLOAD, True)


def test_the_readme_tables_are_the_planners() -> None:
    readme = (ROOT / "README.md").read_text()
    assert plan_table() in readme, "regenerate it with: python -m generation plan --table"
    assert profile_table() in readme, "regenerate it with: python -m generation plan --table"


@pytest.mark.parametrize("gib", CARD_SIZES_GIB)
def test_plan_command_prints_profile_peak_and_reason(gib: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generation", "plan", "kandinsky-5-lite", "--vram", str(gib)],
        capture_output=True,
        text=True,
        check=False,
    )
    expected = plan_preset(PRESETS["kandinsky-5-lite"], gib)
    assert result.returncode == (0 if expected.fits else 1), result.stderr
    assert f"profile: {expected.profile}" in result.stdout
    assert re.search(r"expected peak: \d+\.\d GiB", result.stdout)
    assert "reason: " in result.stdout


def test_plan_command_refuses_an_unknown_model() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generation", "plan", "nope", "--vram", "24"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "not a preset" in result.stderr


def test_a_model_too_large_for_any_profile_is_reported_not_planned() -> None:
    result = plan(footprint_of(PRESETS["svd-xt"].architecture), Clip(1024, 576, 25), int(2.5 * 1024**3))  # type: ignore[arg-type]
    assert not result.fits and "shorter or smaller" in result.reason
