"""Tiny random-weight pipelines of each family, saved and loaded through ``from_pretrained``."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from generation import (
    RenderCancelledError,
    RenderedClip,
    RenderInputError,
    RenderRequest,
    VideoGenerator,
)
from generation.families import FAMILIES
from generation.memory import MemoryOptions
from generation.presets import (
    SIDECAR_NAME,
    ExtraComponent,
    ModelPreset,
    ModelResolutionError,
    resolve_model,
)
from generation.provenance import read_manifest
from generation.speed import SpeedOptions
from generation.tiny import TINY_MODELS
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
    d, family = generator.preset.defaults, generator.preset.family
    assert clip.frames.dtype == np.uint8
    if family.size_from_image:  # its own aspect bucket of the (fitted) first frame
        assert clip.frames.shape[0] == d.num_frames
    else:
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


def test_recipe_arguments_the_pipeline_does_not_take_are_named_once_per_load(
    tiny_wan: Path, caplog: pytest.LogCaptureFixture
) -> None:
    preset = resolve_model(str(tiny_wan))
    recipe = (("not_an_argument", 1), ("attention_kwargs", None), ("guidance_rescale", 0.0))
    generator = VideoGenerator(dataclasses.replace(preset, call_kwargs=recipe), device="cpu")
    with caplog.at_level(logging.WARNING, logger="generation.generator"):
        for seed in (1, 2):
            assert generator.render(RenderRequest(prompt="a cat", seed=seed)).num_frames > 0
    (warning,) = [r.getMessage() for r in caplog.records if "ignoring" in r.getMessage()]
    assert "WanPipeline" in warning and preset.name in warning
    assert "guidance_rescale, not_an_argument" in warning and "attention_kwargs" not in warning


def test_a_model_resolved_as_taking_an_image_whose_pipeline_cannot_is_refused_at_load(
    tiny_wan: Path, tmp_path: Path
) -> None:
    model = tmp_path / "wan-as-i2v"
    shutil.copytree(tiny_wan, model)
    sidecar = json.loads((model / SIDECAR_NAME).read_text())
    (model / SIDECAR_NAME).write_text(json.dumps({**sidecar, "family": "wan-i2v"}))
    generator = VideoGenerator(str(model), device="cpu")
    assert generator.accepts_image  # what resolution decided, before loading
    with pytest.raises(ModelResolutionError, match="WanPipeline, whose call takes no image"):
        generator.load()
    assert not generator.loaded


def test_a_text_only_resolution_of_an_image_pipeline_is_kept_and_logged(
    tiny_models: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A preset naming no pipeline class, loaded as whatever its model index says."""
    i2v = resolve_model(str(tiny_models("wan-i2v")))
    preset = dataclasses.replace(i2v, family=FAMILIES["wan"], pipeline_class=None)
    generator = VideoGenerator(preset, device="cpu")
    with caplog.at_level(logging.WARNING, logger="generation.generator"):
        generator.load()
    assert not generator.accepts_image
    assert (
        "WanImageToVideoPipeline, whose call takes an image, but it was resolved as text-only" in caplog.text
    )
    with pytest.raises(RenderInputError, match="text only"):
        generator.render(RenderRequest(prompt="a cat", seed=1, image=FIRST_FRAME))


def _offload_hooks(pipe: Any) -> dict[str, tuple[str | None, set[str]]]:
    """Each model component's accelerate hook (its class) and the diffusers hooks on it or its submodules."""
    found = {}
    for name, module in pipe.components.items():
        if isinstance(module, torch.nn.Module):
            accelerate = getattr(module, "_hf_hook", None)
            found[name] = (type(accelerate).__name__ if accelerate else None, _diffusers_hooks(module))
    return found


def _diffusers_hooks(module: torch.nn.Module) -> set[str]:
    return {h for m in module.modules() for h in getattr(getattr(m, "_diffusers_hook", None), "hooks", {})}


@pytest.mark.parametrize(
    ("memory", "profile", "hooks", "tiling"),
    [
        # Off a GPU there is nothing to plan against: "auto" keeps the whole pipeline where it is.
        (MemoryOptions(), "full", (None, set()), False),
        (MemoryOptions(profile="full", vae_tiling=True), "full", (None, set()), True),
        # An owner who offloads asked to save memory: decoding tiles too, unless told otherwise.
        (MemoryOptions(profile="model-offload"), "model-offload", ("CpuOffload", set()), True),
        (
            MemoryOptions(profile="model-offload", vae_tiling=False),
            "model-offload",
            ("CpuOffload", set()),
            False,
        ),
        (MemoryOptions(profile="group-offload"), "group-offload", (None, {"group_offloading"}), True),
    ],
    ids=["auto", "full-tiled", "model-offload", "model-offload-untiled", "group-offload"],
)
def test_memory_profiles_install_their_offloading_and_keep_the_clip(
    tiny_wan: Path, memory: MemoryOptions, profile: str, hooks: tuple[str | None, set[str]], tiling: bool
) -> None:
    reference = VideoGenerator(str(tiny_wan), device="cpu").render(RenderRequest(prompt="a cat", seed=3))
    generator = VideoGenerator(str(tiny_wan), device="cpu", memory=memory)
    generator.load()
    pipe = generator._pipe
    assert generator.memory_plan is not None and "not on a GPU" in generator.memory_plan.reason
    assert (generator.memory_profile, generator.memory_plan.vae_tiling) == (profile, tiling)
    assert _offload_hooks(pipe) == {name: hooks for name in ("vae", "text_encoder", "transformer")}
    assert pipe.vae.use_tiling is tiling
    if profile == "group-offload":  # block by block: each of the denoiser's blocks is its own group
        assert all("group_offloading" in _diffusers_hooks(block) for block in pipe.transformer.blocks)
    clip = generator.render(RenderRequest(prompt="a cat", seed=3))
    assert np.abs(clip.frames.astype(int) - reference.frames.astype(int)).max() <= 2


def test_sequential_offload_hooks_every_component_layer_by_layer(tiny_wan: Path) -> None:
    """Placement only: its hooks move weights through the meta device, which needs an accelerator to render
    (checked on a GPU machine, not here)."""
    generator = VideoGenerator(
        str(tiny_wan), device="cpu", memory=MemoryOptions(profile="sequential-offload")
    )
    generator.load()
    hooks = _offload_hooks(generator._pipe)
    assert {accelerate for accelerate, _ in hooks.values()} <= {"AlignDevicesHook", "SequentialHook"}
    assert all(accelerate and not found for accelerate, found in hooks.values())
    assert generator._pipe.vae.use_tiling


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


def _speed_state(denoiser: Any) -> tuple[set[str], set[str | None], list[bool], bool]:
    """What the speed options installed on a denoiser: diffusers hooks (step caches), its attention modules'
    backends, which of its repeated blocks are compiled, and whether a cache is enabled."""
    backends = {
        getattr(m.processor, "_attention_backend", None)
        for m in denoiser.modules()
        if hasattr(m, "processor")
    }
    return (
        _diffusers_hooks(denoiser),
        {getattr(b, "value", b) for b in backends},
        [block._compiled_call_impl is not None for block in denoiser.blocks],
        denoiser.is_cache_enabled,
    )


FBC_HOOKS = {"fbc_leader_block_hook", "fbc_block_hook"}
MAG_HOOKS = {"mag_cache_leader_block_hook", "mag_cache_block_hook"}


@pytest.mark.parametrize(
    ("speed", "state"),
    [
        (SpeedOptions(), (set(), {None}, [False, False], False)),
        (SpeedOptions(attention_backend="native"), (set(), {"native"}, [False, False], False)),
        (SpeedOptions(cache="first-block", cache_threshold=0.2), (FBC_HOOKS, {None}, [False, False], True)),
        (SpeedOptions(cache="mag"), (MAG_HOOKS, {None}, [False, False], True)),
        (SpeedOptions(compile=True), (set(), {None}, [True, True], False)),
        (
            SpeedOptions(attention_backend="native", cache="first-block", compile=True),
            (FBC_HOOKS, {"native"}, [True, True], True),
        ),
    ],
    ids=["none", "attention", "first-block", "mag", "compile", "all"],
)
def test_speed_options_are_installed_on_the_denoiser_only_when_asked(
    tiny_wan: Path, tmp_path: Path, speed: SpeedOptions, state: tuple[object, ...]
) -> None:
    speed = dataclasses.replace(speed, calibration_dir=str(tmp_path))
    generator = VideoGenerator(str(tiny_wan), device="cpu", speed=speed)
    generator.load()
    assert _speed_state(generator._pipe.transformer) == state
    for other in (generator._pipe.text_encoder, generator._pipe.vae):
        assert not _diffusers_hooks(other)
    if not speed.compile:  # compiled blocks render in the warm-up test below
        clip = generator.render(RenderRequest(prompt="a cat", seed=3))
        assert clip.num_frames == generator.preset.defaults.num_frames


def test_the_first_block_cache_skips_the_rest_of_a_step_by_its_threshold(tiny_wan: Path) -> None:
    def render(speed: SpeedOptions) -> np.ndarray:
        return (
            VideoGenerator(str(tiny_wan), device="cpu", speed=speed)
            .render(RenderRequest(prompt="a cat", seed=3))
            .frames
        )

    plain = render(SpeedOptions())
    assert np.array_equal(render(SpeedOptions(cache="first-block", cache_threshold=0.0)), plain)
    assert not np.array_equal(render(SpeedOptions(cache="first-block", cache_threshold=1e9)), plain)


def test_taylorseer_hooks_the_blocks_it_knows_and_says_so_where_it_finds_none(
    tiny_models: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    speed = SpeedOptions(cache="taylorseer")
    hunyuan = VideoGenerator(str(tiny_models("hunyuanvideo15")), device="cpu", speed=speed)
    hunyuan.load()
    hooked = hunyuan._pipe.transformer
    assert (_diffusers_hooks(hooked), hooked.is_cache_enabled) == ({"taylorseer_cache"}, True)
    # Its default patterns ("^blocks.*attn", matched in full) miss Wan's attn1 and attn2.
    with caplog.at_level(logging.WARNING, logger="generation.speed"):
        wan = VideoGenerator(str(tiny_models("wan")), device="cpu", speed=speed)
        wan.load()
    assert (_diffusers_hooks(wan._pipe.transformer), wan._pipe.transformer.is_cache_enabled) == (set(), False)
    assert "taylorseer cache finds none of WanTransformer3DModel's blocks" in caplog.text
    assert wan.render(RenderRequest(prompt="a cat", seed=3)).num_frames == wan.preset.defaults.num_frames


def test_warm_up_compiles_so_the_first_render_does_not_and_gives_the_same_clip(tiny_wan: Path) -> None:
    reference = VideoGenerator(str(tiny_wan), device="cpu").render(
        RenderRequest(prompt="a cat", seed=3, steps=2)
    )
    torch._dynamo.reset()  # no compiled code from earlier tests to reuse
    graphs = torch._dynamo.utils.counters["stats"]
    compiled = VideoGenerator(str(tiny_wan), device="cpu", speed=SpeedOptions(compile=True))
    before = graphs["unique_graphs"]
    compiled.warm_up()
    after_warm_up = graphs["unique_graphs"]
    clip = compiled.render(RenderRequest(prompt="a cat", seed=3, steps=2))
    assert after_warm_up > before, "warming up compiled the blocks"
    assert graphs["unique_graphs"] == after_warm_up, "the first render compiled nothing more"
    assert np.abs(clip.frames.astype(int) - reference.frames.astype(int)).max() <= 2


@pytest.mark.parametrize(
    "speed",
    [SpeedOptions(attention_backend="flash_hub"), SpeedOptions(cache="teacache")],
    ids=["hub", "cache"],
)
def test_speed_options_that_cannot_work_here_are_refused_up_front(
    tiny_wan: Path, speed: SpeedOptions
) -> None:
    with pytest.raises(ValueError):
        VideoGenerator(str(tiny_wan), device="cpu", speed=speed)


def test_warm_up_runs_the_denoiser_for_two_steps_at_the_default_size(
    tiny_models: Callable[[str], Path],
) -> None:
    """An image model too: warming up makes its own first frame."""
    generator = VideoGenerator(str(tiny_models("svd")), device="cpu")
    generator.load()
    inputs: list[tuple[int, ...]] = []
    generator._pipe.unet.register_forward_hook(
        lambda module, args, kwargs, out: inputs.append(tuple(kwargs.get("sample", args[0]).shape)),
        with_kwargs=True,
    )
    generator.warm_up()
    warm_up, inputs[:] = list(inputs), []
    generator.render(_request(generator))  # the default size, and the default steps
    assert generator.preset.defaults.steps > 2
    assert warm_up == inputs[:2] and len(inputs) == generator.preset.defaults.steps


def test_a_distillation_lora_from_a_second_source_is_fused_into_both_experts(
    tiny_models: Callable[[str], Path],
) -> None:
    """As Wan 2.2 A14B's Lightning LoRAs: loaded from their own files, one per expert, fused, unloaded."""
    base = resolve_model(str(tiny_models("wan2.2-a14b")))
    loras = tuple(
        dataclasses.replace(lora, source=str(base.source)) for lora in TINY_MODELS["wan2.2-a14b"].arch.loras
    )
    plain = VideoGenerator(base, device="cpu")
    plain.load()
    fused = VideoGenerator(dataclasses.replace(base, loras=loras), device="cpu")
    clip = fused.render(RenderRequest(prompt="a cat", seed=1))
    assert clip.num_frames == base.defaults.num_frames
    for expert in ("transformer", "transformer_2"):
        before = getattr(plain._pipe, expert).state_dict()
        after = getattr(fused._pipe, expert).state_dict()
        assert before.keys() == after.keys(), "the adapter layers are unloaded after fusing"
        changed = [k for k in before if not torch.equal(before[k], after[k])]
        assert any("attn1.to_q" in k for k in changed) and any("ffn.net.2" in k for k in changed), expert
        assert not any("norm" in k for k in changed), "only the layers the LoRA targets change"


def test_the_two_experts_get_their_own_guidance(tiny_models: Callable[[str], Path]) -> None:
    preset = resolve_model(str(tiny_models("wan2.2-a14b")))
    guided = dataclasses.replace(
        preset, defaults=dataclasses.replace(preset.defaults, guidance=4.0, guidance_2=3.0)
    )
    calls: list[int] = []
    generator = VideoGenerator(guided, device="cpu")
    generator.load()
    for expert in (generator._pipe.transformer, generator._pipe.transformer_2):
        expert.register_forward_hook(lambda module, args, out, e=expert: calls.append(id(e)))
    generator.render(RenderRequest(prompt="a cat", seed=1, negative_prompt="blurry"))
    # Classifier-free guidance on both experts: two passes per step, split between them by the boundary.
    assert len(calls) == 2 * preset.defaults.steps
    assert len(set(calls)) == 2


def test_ltx2_renders_sound_as_long_as_the_picture(tiny_models: Callable[[str], Path]) -> None:
    generator = VideoGenerator(str(tiny_models("ltx2")), device="cpu")
    clip = generator.render(RenderRequest(prompt="a cat", seed=1, num_frames=25))
    assert clip.audio is not None and clip.audio.channels == 2
    assert clip.audio.sample_rate == generator._pipe.vocoder.config.output_sampling_rate
    assert abs(clip.audio.seconds - clip.num_frames / clip.fps) < 0.1
    silent = generator.render(RenderRequest(prompt="a cat", seed=1, num_frames=25, sound=False))
    assert silent.audio is None and np.array_equal(silent.frames, clip.frames)


def test_tiny_ltx2_render_command_writes_h264_and_aac_of_the_clips_length(
    tiny_models: Callable[[str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "c.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "generation", "render", "a cat eating spaghetti", "--model",
         str(tiny_models("ltx2")), "-o", str(out), "--seed", "2", "--signing-dir", str(tmp_path / "keys")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "sound 2 ch" in result.stdout and "signed" in result.stdout
    streams = {s["codec_type"]: s for s in ffprobe(out)["streams"]}
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    picture = int(streams["video"]["nb_read_frames"]) / 24
    assert abs(float(streams["audio"]["duration"]) - picture) < 0.05
    assert read_manifest(out, "video/mp4").ai_generated


def test_render_command_raises_a_16_fps_model_to_24(
    tiny_models: Callable[[str], Path], tmp_path: Path
) -> None:
    model = tmp_path / "wan16"
    shutil.copytree(tiny_models("wan"), model)
    sidecar = json.loads((model / SIDECAR_NAME).read_text())
    (model / SIDECAR_NAME).write_text(json.dumps({**sidecar, "fps": 16, "num_frames": 17}))
    out = tmp_path / "c.mp4"
    subprocess.run(
        [sys.executable, "-m", "generation", "render", "a cat", "--model", str(model), "-o", str(out),
         "--fps", "24", "--signing-dir", str(tmp_path / "keys")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    (video,) = ffprobe(out)["streams"]
    assert video["r_frame_rate"] == "24/1"
    # 17 frames at 16 fps span one second: 25 frames at 24 fps span the same.
    assert int(video["nb_read_frames"]) == 25


def test_interpolation_happens_only_above_the_models_own_rate(tiny_wan: Path) -> None:
    generator = VideoGenerator(str(tiny_wan), device="cpu")
    native = generator.render(RenderRequest(prompt="a cat", seed=1))
    same = generator.render(RenderRequest(prompt="a cat", seed=1, fps=native.fps))
    smooth = generator.render(RenderRequest(prompt="a cat", seed=1, fps=3 * native.fps))
    assert np.array_equal(native.frames, same.frames) and same.fps == native.fps
    assert smooth.fps == 3 * native.fps and smooth.native_fps == native.fps
    assert smooth.num_frames == 3 * (native.num_frames - 1) + 1
    assert "interpolate_s" in smooth.timings


def test_guidance_reaches_a_pipeline_that_takes_it_through_its_guider(
    tiny_models: Callable[[str], Path],
) -> None:
    generator = VideoGenerator(str(tiny_models("hunyuanvideo15")), device="cpu")
    generator.load()
    assert generator._pipe.guider.guidance_scale == generator.preset.defaults.guidance


def test_magcache_is_calibrated_once_and_the_calibration_reused(tiny_wan: Path, tmp_path: Path) -> None:
    speed = SpeedOptions(cache="mag", calibration_dir=str(tmp_path))
    VideoGenerator(str(tiny_wan), device="cpu", speed=speed).load()
    (saved,) = tmp_path.glob("magcache-*.json")
    ratios = json.loads(saved.read_text())["mag_ratios"]
    assert len(ratios) == resolve_model(str(tiny_wan)).defaults.steps and ratios[0] == 1.0
    saved.write_text(json.dumps({"mag_ratios": [1.0, 0.5, 0.5, 0.5]}))
    VideoGenerator(str(tiny_wan), device="cpu", speed=speed).load()
    assert json.loads(saved.read_text())["mag_ratios"] == [1.0, 0.5, 0.5, 0.5], "not calibrated again"


@pytest.mark.parametrize("family", ["hunyuanvideo15", "svd"])
def test_a_cancelled_render_leaves_nothing_behind_for_the_next(
    tiny_models: Callable[[str], Path], family: str
) -> None:
    """Pipelines left by raising out of their loop (no step callback or no interrupt flag) are tidied: a
    step cache keeps no state from the cancelled clip, and the scheduler gets its own step back."""
    model = str(tiny_models(family))
    speed = SpeedOptions(cache="taylorseer")
    request = _request(VideoGenerator(model, device="cpu"))
    fresh = VideoGenerator(model, device="cpu", speed=speed).render(request).frames
    generator = VideoGenerator(model, device="cpu", speed=speed)
    steps: list[int] = []
    with pytest.raises(RenderCancelledError):
        generator.render(request, on_step=lambda s, n: steps.append(s), should_cancel=lambda: len(steps) >= 2)
    assert "step" not in vars(generator._pipe.scheduler)
    assert np.array_equal(generator.render(request).frames, fresh)


@pytest.mark.parametrize("family", ["wan2.2-a14b", "ltx2"])
def test_magcache_on_a_model_it_cannot_serve_runs_uncached_without_a_calibration_render(
    tiny_models: Callable[[str], Path], tmp_path: Path, family: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    generator = VideoGenerator(
        str(tiny_models(family)), device="cpu", speed=SpeedOptions(cache="mag", calibration_dir=str(tmp_path))
    )
    original = generator._render_locked

    def counted(request: RenderRequest, *args: Any) -> RenderedClip:
        renders.append(1)
        return original(request, *args)

    monkeypatch.setattr(generator, "_render_locked", counted)
    generator.load()
    assert renders == [] and not list(tmp_path.iterdir())
    assert generator.render(RenderRequest(prompt="a cat", seed=1)).num_frames > 0
