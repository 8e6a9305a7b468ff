"""Tiny random-weight pipelines of each family, saved and loaded through ``from_pretrained``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from generation import RenderCancelledError, RenderInputError, RenderRequest, VideoGenerator
from generation.families import FAMILIES
from generation.memory import MemoryOptions
from generation.presets import ExtraComponent, ModelPreset, resolve_model
from generation.speed import SpeedOptions
from tests.conftest import ffprobe


@pytest.fixture(params=sorted(FAMILIES))
def tiny_model(request: pytest.FixtureRequest, tiny_models: Callable[[str], Path]) -> Path:
    return tiny_models(request.param)


FIRST_FRAME = Image.new("RGB", (300, 200), (200, 40, 40))


def _request(generator: VideoGenerator, **kwargs: object) -> RenderRequest:
    """A request for the generator's model: image families get a first frame."""
    image = FIRST_FRAME if generator.preset.family.needs_image else None
    return RenderRequest(prompt="a cat eating spaghetti", seed=1, image=image, **kwargs)  # type: ignore[arg-type]


def test_each_family_renders_frames_of_the_requested_shape(tiny_model: Path) -> None:
    generator = VideoGenerator(str(tiny_model), device="cpu")
    clip = generator.render(_request(generator, negative_prompt="blurry"))
    d = generator.preset.defaults
    assert clip.frames.dtype == np.uint8
    assert clip.frames.shape == (d.num_frames, d.height, d.width, 3)
    assert clip.fps == d.fps and clip.seed == 1
    assert generator.loaded


def test_the_same_seed_gives_the_same_clip_and_another_seed_does_not(tiny_wan: Path) -> None:
    generator = VideoGenerator(str(tiny_wan), device="cpu")
    a = generator.render(RenderRequest(prompt="a dog", seed=7)).frames
    b = generator.render(RenderRequest(prompt="a dog", seed=7)).frames
    c = generator.render(RenderRequest(prompt="a dog", seed=8)).frames
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_requested_sizes_are_fitted_to_the_family_rules(tiny_ltx: Path) -> None:
    generator = VideoGenerator(str(tiny_ltx), device="cpu")
    clip = generator.render(RenderRequest(prompt="a cat", seed=1, width=70, height=40, num_frames=12))
    # LTX: sides multiples of 32, frames 8k+1.
    assert clip.frames.shape[1:3] == (32, 64)
    assert clip.num_frames == 9


def test_the_pipeline_is_loaded_once_and_reused(tiny_wan: Path) -> None:
    generator = VideoGenerator(str(tiny_wan), device="cpu")
    generator.load()
    pipe = generator._pipe
    generator.render(RenderRequest(prompt="a cat", seed=1))
    assert generator._pipe is pipe


def test_cancelling_stops_after_the_current_step(tiny_model: Path) -> None:
    generator = VideoGenerator(str(tiny_model), device="cpu")
    steps: list[int] = []
    with pytest.raises(RenderCancelledError):
        generator.render(
            _request(generator),
            on_step=lambda step, total: steps.append(step),
            should_cancel=lambda: len(steps) >= 1,
        )
    assert steps == [1]


def test_command_line_make_tiny_then_render_writes_a_valid_mp4(tmp_path: Path) -> None:
    model, out = tmp_path / "t", tmp_path / "c.mp4"
    run = [sys.executable, "-m", "generation"]
    subprocess.run([*run, "make-tiny", str(model), "--family", "wan"], check=True, capture_output=True)
    result = subprocess.run(
        [*run, "render", "a cat", "--model", str(model), "-o", str(out), "--seed", "3"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "seed 3" in result.stdout
    (video,) = ffprobe(out)["streams"]
    assert video["codec_name"] == "h264" and int(video["nb_read_frames"]) == 9


def test_command_line_explains_an_unknown_model(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generation", "render", "x", "--model", "nope", "-o", str(tmp_path / "x.mp4")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "not a preset" in result.stderr


def test_a_preset_can_assemble_its_pipeline_from_several_sources(tiny_models: Callable[[str], Path]) -> None:
    """As AnimateDiff does: a base model, a motion adapter from elsewhere, and its recommended scheduler."""
    base = tiny_models("animatediff")
    preset = ModelPreset(
        name="assembled",
        source=str(base),
        family=FAMILIES["animatediff"],
        defaults=resolve_model(str(base)).defaults,
        pipeline_class="AnimateDiffPipeline",
        components=(ExtraComponent("motion_adapter", "MotionAdapter", str(base / "motion_adapter")),),
        scheduler=("EulerDiscreteScheduler", (("timestep_spacing", "trailing"),)),
    )
    generator = VideoGenerator(preset, device="cpu")
    clip = generator.render(RenderRequest(prompt="a cat", seed=1))
    assert clip.num_frames == preset.defaults.num_frames
    pipe = generator._pipe
    assert type(pipe).__name__ == "AnimateDiffPipeline"
    assert type(pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    assert pipe.scheduler.config.timestep_spacing == "trailing"


@pytest.mark.parametrize("family", ["ltx-i2v", "svd", "wan-i2v"])
def test_image_to_video_starts_from_the_image(tiny_models: Callable[[str], Path], family: str) -> None:
    generator = VideoGenerator(str(tiny_models(family)), device="cpu")
    red = generator.render(RenderRequest(prompt="a cat", seed=1, image=FIRST_FRAME)).frames
    blue = generator.render(
        RenderRequest(prompt="a cat", seed=1, image=Image.new("RGB", (300, 200), (40, 40, 200)))
    ).frames
    assert not np.array_equal(red, blue)
    with pytest.raises(RenderInputError, match="from an image"):
        generator.render(RenderRequest(prompt="a cat", seed=1))


def test_a_text_only_model_refuses_an_image(tiny_wan: Path) -> None:
    generator = VideoGenerator(str(tiny_wan), device="cpu")
    generator.load()
    assert not generator.accepts_image
    with pytest.raises(RenderInputError, match="text only"):
        generator.render(RenderRequest(prompt="a cat", seed=1, image=FIRST_FRAME))


@pytest.mark.parametrize(
    "memory",
    [
        MemoryOptions(profile="model-offload"),
        MemoryOptions(profile="group-offload"),
        MemoryOptions(profile="full", vae_tiling=True),
    ],
    ids=["model-offload", "group-offload", "vae-tiling"],
)
def test_memory_profiles_change_placement_not_the_clip(tiny_wan: Path, memory: MemoryOptions) -> None:
    # Sequential offload needs an accelerator and is checked on a GPU machine, not here.
    reference = VideoGenerator(str(tiny_wan), device="cpu").render(RenderRequest(prompt="a cat", seed=3))
    generator = VideoGenerator(str(tiny_wan), device="cpu", memory=memory)
    clip = generator.render(RenderRequest(prompt="a cat", seed=3))
    assert generator.memory_profile == memory.profile
    assert np.abs(clip.frames.astype(int) - reference.frames.astype(int)).max() <= 2


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_loads_under_model_offload_with_automatic_tiling(
    tiny_models: Callable[[str], Path], family: str
) -> None:
    """Offloading turns VAE tiling on; a VAE that cannot tile (SVD's) must still load and render."""
    generator = VideoGenerator(
        str(tiny_models(family)), device="cpu", memory=MemoryOptions(profile="model-offload")
    )
    clip = generator.render(_request(generator))
    assert clip.num_frames == generator.preset.defaults.num_frames


def test_fp8_weights_still_render(tiny_wan: Path) -> None:
    generator = VideoGenerator(str(tiny_wan), device="cpu", memory=MemoryOptions(fp8=True))
    clip = generator.render(RenderRequest(prompt="a cat", seed=3))
    assert clip.frames.shape[0] == generator.preset.defaults.num_frames
    # Linear weights are stored in fp8 between uses (norms and embeddings keep full precision).
    dtypes = {p.dtype for p in generator._pipe.transformer.parameters()}
    assert torch.float8_e4m3fn in dtypes


def test_attention_backend_and_step_cache_render(tiny_wan: Path) -> None:
    speed = SpeedOptions(attention_backend="native", cache="first-block", cache_threshold=0.2)
    generator = VideoGenerator(str(tiny_wan), device="cpu", speed=speed)
    clip = generator.render(RenderRequest(prompt="a cat", seed=3))
    assert clip.frames.shape[0] == generator.preset.defaults.num_frames


def test_compiled_blocks_give_the_same_clip(tiny_wan: Path) -> None:
    reference = VideoGenerator(str(tiny_wan), device="cpu").render(
        RenderRequest(prompt="a cat", seed=3, steps=2)
    )
    compiled = VideoGenerator(str(tiny_wan), device="cpu", speed=SpeedOptions(compile=True))
    clip = compiled.render(RenderRequest(prompt="a cat", seed=3, steps=2))
    assert np.abs(clip.frames.astype(int) - reference.frames.astype(int)).max() <= 2


@pytest.mark.parametrize(
    "speed", [SpeedOptions(attention_backend="flash_hub"), SpeedOptions(cache="mag")], ids=["hub", "cache"]
)
def test_speed_options_that_cannot_work_here_are_refused_up_front(
    tiny_wan: Path, speed: SpeedOptions
) -> None:
    with pytest.raises(ValueError):
        VideoGenerator(str(tiny_wan), device="cpu", speed=speed)


def test_warm_up_loads_and_renders_a_short_clip(tiny_models: Callable[[str], Path]) -> None:
    generator = VideoGenerator(str(tiny_models("svd")), device="cpu")
    assert generator.warm_up() > 0
    assert generator.loaded
