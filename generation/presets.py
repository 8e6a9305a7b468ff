"""Named model presets, and resolution of any model reference to a preset.

A model reference is a preset name, a local diffusers directory, or a Hugging Face Hub id.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generation.architecture import Architecture, LoraSpec
from generation.checkpoints import (
    cogvideox,
    hunyuan_video,
    kandinsky5,
    ltx2,
    ltx_video,
    stable_diffusion,
    wan,
)
from generation.families import (
    ANIMATEDIFF,
    COGVIDEOX,
    FAMILIES,
    HUNYUAN,
    HUNYUAN15,
    HUNYUAN15_I2V,
    IMAGE_PIPELINES,
    KANDINSKY5,
    LTX,
    LTX2,
    LTX_I2V,
    MODELSCOPE,
    SVD,
    WAN,
    WAN22,
    WAN22_A14B,
    WAN22_A14B_I2V,
    WAN_I2V,
    Family,
    RenderDefaults,
    family_for_pipeline_class,
)

# A local model directory may carry its own defaults in this file (``python -m generation make-tiny``
# writes one); keys are those of RenderDefaults plus "family" and "name" (what members see the model as).
SIDECAR_NAME = "videobot.json"
MAX_NAME = 100  # Discord's longest choice value: members pick models by name


@dataclass(frozen=True)
class ExtraComponent:
    """A pipeline component loaded from its own source, e.g. AnimateDiff's motion adapter."""

    name: str  # the pipeline's argument, e.g. "motion_adapter"
    class_name: str  # a diffusers class, e.g. "MotionAdapter"
    source: str


@dataclass(frozen=True)
class ModelPreset:
    name: str
    source: str  # Hub id or local directory handed to from_pretrained
    family: Family
    defaults: RenderDefaults
    description: str = ""
    # Where the source's own model_index.json names another pipeline (an SD 1.5 base for AnimateDiff).
    pipeline_class: str | None = None
    components: tuple[ExtraComponent, ...] = ()
    # Replace the source's scheduler: (diffusers class, config overrides).
    scheduler: tuple[str, tuple[tuple[str, object], ...]] | None = None
    # The checkpoint as published: component configs and sizes (for memory planning and benchmarks).
    architecture: Architecture | None = None
    # Which of the checkpoint's weight files to fetch ("fp16": the half-size files some repos carry).
    variant: str | None = None
    # Low-rank weights from a second source, loaded into the pipeline and fused (a few-step distillation).
    loras: tuple[LoraSpec, ...] = ()
    # Extra arguments of the pipeline call for this checkpoint (a distilled model's fixed timesteps, ...).
    call_kwargs: tuple[tuple[str, object], ...] = ()
    # Superseded by a newer model here; kept for servers that like its look (or its memes).
    legacy: bool = False
    # Whether a clip may start from an attached image: decided here, once, from the family and the pipeline
    # class the model loads as, and recomputed whenever ``replace`` makes a new preset (e.g. a Hub id's
    # family, known once loaded). The bot's catalog and the generator both ask this.
    takes_image: bool = field(init=False)

    def __post_init__(self) -> None:
        loads_as = self.loads_as
        takes = self.family.needs_image or (loads_as is not None and loads_as in IMAGE_PIPELINES)
        object.__setattr__(self, "takes_image", takes)

    @property
    def loads_as(self) -> str | None:
        """The diffusers pipeline class the source loads as, where known before loading."""
        if self.pipeline_class is not None:
            return self.pipeline_class
        return self.architecture.pipeline_class if self.architecture is not None else None

    @property
    def fixed_steps(self) -> int | None:
        """The step count of a distilled model's fixed schedule (its sigmas or timesteps), if it has one."""
        recipe = dict(self.call_kwargs)
        schedule = recipe.get("sigmas", recipe.get("timesteps"))
        return len(schedule) if isinstance(schedule, list) else None


@dataclass(frozen=True)
class RenderOverrides:
    """Owner settings that replace a preset's defaults; None keeps the preset's value."""

    width: int | None = None
    height: int | None = None
    num_frames: int | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None

    def apply(self, defaults: RenderDefaults) -> RenderDefaults:
        changes = {k: v for k, v in vars(self).items() if v is not None}
        return replace(defaults, **changes)


def _defaults(family: Family, **changes: Any) -> RenderDefaults:
    return replace(family.defaults, **changes)


# The distilled LTX-2 schedule: DISTILLED_SIGMA_VALUES of the diffusers LTX-2 guide
# (docs/source/en/api/pipelines/ltx2.md), 8 steps; the scheduler must not shift them.
LTX2_DISTILLED_SIGMAS = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875)
# LTX-Video 0.9.7 distilled: "guidance_scale 1.0 and ... custom timesteps" for the first pass
# (https://github.com/huggingface/diffusers/blob/main/docs/source/en/api/pipelines/ltx_video.md).
LTX_0_9_7_DISTILLED_TIMESTEPS = (1000, 993, 987, 981, 975, 909, 725, 0.03)
_UNIPC_SHIFT_5 = (
    "UniPCMultistepScheduler",
    (("prediction_type", "flow_prediction"), ("use_flow_sigmas", True), ("flow_shift", 5.0)),
)

PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in (
        ModelPreset(
            name="kandinsky-5-lite",
            source="kandinskylab/Kandinsky-5.0-T2V-Lite-distilled16steps-5s-Diffusers",
            family=KANDINSKY5,
            # The distilled model: 16 steps without guidance (diffusers' Kandinsky 5 guide), 768x512 for 5 s
            # at 24 fps (the model's 5-second configs).
            defaults=_defaults(KANDINSKY5, steps=16, guidance=1.0, supports_negative=False),
            description="Kandinsky 5.0 Lite distilled (2B): 5 s at 768x512, 24 fps, 16 steps",
            architecture=kandinsky5.KANDINSKY5_LITE_T2V,
        ),
        ModelPreset(
            name="ltx-2-distilled",
            source="rootonchair/LTX-2-19b-distilled",
            family=LTX2,
            defaults=LTX2.defaults,
            description="LTX-2 distilled (19B): 5 s at 768x512 with sound, 8 steps",
            architecture=ltx2.LTX2_DISTILLED,
            scheduler=(
                "FlowMatchEulerDiscreteScheduler",
                (("use_dynamic_shifting", False), ("shift_terminal", None)),
            ),
            call_kwargs=(("sigmas", list(LTX2_DISTILLED_SIGMAS)),),
        ),
        ModelPreset(
            name="ltx-video-13b-distilled",
            source="Lightricks/LTX-Video-0.9.7-distilled",
            family=LTX,
            pipeline_class="LTXConditionPipeline",
            defaults=_defaults(LTX, width=768, height=512, steps=8, guidance=1.0, supports_negative=False),
            description="LTX-Video 0.9.7 distilled (13B): 5 s at 768x512, 8 steps; also animates an image",
            architecture=ltx_video.LTX_VIDEO_0_9_7_DISTILLED,
            call_kwargs=(("timesteps", list(LTX_0_9_7_DISTILLED_TIMESTEPS)), ("image_cond_noise_scale", 0.0)),
        ),
        ModelPreset(
            name="wan2.2-t2v-a14b-lightning",
            source="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
            family=WAN22_A14B,
            # Lightning: 4 steps, no guidance on either expert, UniPC at shift 5, which lands on the
            # timesteps Lightning was distilled at (999, 937, 833, 625).
            defaults=_defaults(WAN22_A14B, steps=4, guidance=1.0, guidance_2=1.0, supports_negative=False),
            description="Wan 2.2 A14B with the Lightning 4-step LoRA: 5 s at 832x480, 16 fps",
            architecture=wan.WAN22_T2V_A14B,
            loras=wan.WAN22_T2V_A14B.loras,
            scheduler=_UNIPC_SHIFT_5,
        ),
        ModelPreset(
            name="wan2.2-i2v-a14b-lightning",
            source="Wan-AI/Wan2.2-I2V-A14B-Diffusers",
            family=WAN22_A14B_I2V,
            defaults=_defaults(
                WAN22_A14B_I2V, steps=4, guidance=1.0, guidance_2=1.0, supports_negative=False
            ),
            description="Wan 2.2 A14B image-to-video with the Lightning 4-step LoRA: 5 s at 832x480",
            architecture=wan.WAN22_I2V_A14B,
            loras=wan.WAN22_I2V_A14B.loras,
            scheduler=_UNIPC_SHIFT_5,
        ),
        ModelPreset(
            name="hunyuanvideo-1.5-480p",
            source="hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v",
            family=HUNYUAN15,
            defaults=HUNYUAN15.defaults,
            description="HunyuanVideo 1.5 (8.3B): 5 s at 848x480, 24 fps, 50 steps",
            architecture=hunyuan_video.HUNYUANVIDEO15_480P_T2V,
        ),
        ModelPreset(
            name="hunyuanvideo-1.5-480p-i2v",
            source="hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_i2v",
            family=HUNYUAN15_I2V,
            defaults=HUNYUAN15_I2V.defaults,
            description="HunyuanVideo 1.5 image-to-video (8.3B): 5 s at 480p, 50 steps",
            architecture=hunyuan_video.HUNYUANVIDEO15_480P_I2V,
        ),
        ModelPreset(
            name="hunyuanvideo-1.5-480p-i2v-distilled",
            source="hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_i2v_step_distilled",
            family=HUNYUAN15_I2V,
            # "8 or 12 steps (recommended)", CFG 1 (https://github.com/Tencent-Hunyuan/HunyuanVideo-1.5).
            defaults=_defaults(HUNYUAN15_I2V, steps=8, guidance=1.0, supports_negative=False),
            description="HunyuanVideo 1.5 image-to-video, step-distilled: 5 s at 480p in 8 steps",
            architecture=hunyuan_video.HUNYUANVIDEO15_480P_I2V_STEP_DISTILLED,
        ),
        ModelPreset(
            name="wan2.2-ti2v-5b",
            source="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            family=WAN22,
            defaults=WAN22.defaults,
            description="Wan 2.2 TI2V 5B: 5 s at 1280x704, 24 fps, 50 steps",
            architecture=wan.WAN22_TI2V_5B,
        ),
        ModelPreset(
            name="wan2.1-t2v-1.3b",
            source="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
            family=WAN,
            defaults=WAN.defaults,
            description="Wan 2.1 text-to-video 1.3B: 5 s at 832x480, 16 fps; the smallest cards",
            architecture=wan.WAN21_T2V_1_3B,
        ),
        ModelPreset(
            name="cogvideox-2b",
            source="zai-org/CogVideoX-2b",
            family=COGVIDEOX,
            defaults=COGVIDEOX.defaults,
            description="CogVideoX 2B: 6 s at 720x480, 8 fps",
            architecture=cogvideox.COGVIDEOX_2B,
            legacy=True,
        ),
        ModelPreset(
            name="cogvideox-5b",
            source="zai-org/CogVideoX-5b",
            family=COGVIDEOX,
            defaults=COGVIDEOX.defaults,
            description="CogVideoX 5B: 6 s at 720x480, 8 fps, better motion than 2B",
            architecture=cogvideox.COGVIDEOX_5B,
            legacy=True,
        ),
        ModelPreset(
            name="hunyuanvideo",
            source="hunyuanvideo-community/HunyuanVideo",
            family=HUNYUAN,
            defaults=HUNYUAN.defaults,
            description="HunyuanVideo (13B), superseded by 1.5: 2.5 s at 848x480",
            architecture=hunyuan_video.HUNYUANVIDEO,
            legacy=True,
        ),
        ModelPreset(
            name="modelscope-1.7b",
            source="ali-vilab/text-to-video-ms-1.7b",
            family=MODELSCOPE,
            defaults=MODELSCOPE.defaults,
            description="ModelScope text-to-video 1.7B: 2 s at 256x256, the 2023 meme look",
            architecture=stable_diffusion.MODELSCOPE_1_7B,
            variant="fp16",
            # The model card's scheduler, at its 25 steps.
            scheduler=("DPMSolverMultistepScheduler", ()),
            legacy=True,
        ),
        ModelPreset(
            name="animatediff-sd15",
            source="stable-diffusion-v1-5/stable-diffusion-v1-5",
            family=ANIMATEDIFF,
            defaults=ANIMATEDIFF.defaults,
            description="AnimateDiff: Stable Diffusion 1.5 with a motion adapter, 2 s at 512x512",
            pipeline_class="AnimateDiffPipeline",
            components=(
                ExtraComponent("motion_adapter", "MotionAdapter", "guoyww/animatediff-motion-adapter-v1-5-2"),
            ),
            # The scheduler AnimateDiff's authors recommend for SD 1.5 bases.
            scheduler=(
                "DDIMScheduler",
                (
                    ("beta_schedule", "linear"),
                    ("clip_sample", False),
                    ("timestep_spacing", "linspace"),
                    ("steps_offset", 1),
                ),
            ),
            architecture=stable_diffusion.ANIMATEDIFF_SD15,
            variant="fp16",
            legacy=True,
        ),
        ModelPreset(
            name="ltx-video-i2v",
            source="Lightricks/LTX-Video",
            family=LTX_I2V,
            defaults=LTX_I2V.defaults,
            description="LTX-Video 0.9.0 (2B) image-to-video: 5 s at 704x480",
            pipeline_class="LTXImageToVideoPipeline",
            architecture=ltx_video.LTX_VIDEO_0_9_0,
            legacy=True,
        ),
        ModelPreset(
            name="wan2.1-i2v-14b-480p",
            source="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
            family=WAN_I2V,
            defaults=WAN_I2V.defaults,
            description="Wan 2.1 image-to-video 14B: 5 s at 832x480",
            architecture=wan.WAN21_I2V_14B_480P,
            legacy=True,
        ),
        ModelPreset(
            name="svd-xt",
            source="stabilityai/stable-video-diffusion-img2vid-xt",
            family=SVD,
            defaults=SVD.defaults,
            description="Stable Video Diffusion img2vid-xt: animates an image, no prompt, 25 frames",
            architecture=stable_diffusion.SVD_XT,
            variant="fp16",
            legacy=True,
        ),
    )
}

# Names presets had before, so an owner's config keeps working.
ALIASES = {"ltx-video-distilled": "ltx-video-13b-distilled"}

# Why this one: see "Choosing the default" in README.md.
DEFAULT_PRESET = "kandinsky-5-lite"


class ModelResolutionError(ValueError):
    """The model reference cannot be used; the message says why and what to do."""


def resolve_model(reference: str, overrides: RenderOverrides | None = None) -> ModelPreset:
    """Resolve a preset name, a local diffusers directory or a Hub id into a preset.

    Hub ids that are not presets are resolved from their pipeline class once loaded (see
    ``resolve_loaded``); here they need explicit family-independent checks only, and until then they take
    no image (``takes_image`` is False for the unknown family).
    """
    overrides = overrides or RenderOverrides()
    reference = ALIASES.get(reference, reference)
    if reference in PRESETS:
        preset = PRESETS[reference]
        return replace(preset, defaults=overrides.apply(preset.defaults))
    path = Path(reference).expanduser()
    if path.is_dir():
        return _resolve_directory(path, overrides)
    if path.exists() or reference.startswith((".", "/", "~")):
        raise ModelResolutionError(
            f"model {reference!r} is neither a preset ({', '.join(PRESETS)}) nor a diffusers directory"
        )
    if reference.count("/") != 1:
        raise ModelResolutionError(
            f"model {reference!r} is not a preset ({', '.join(PRESETS)}), a local diffusers directory "
            "or a Hugging Face Hub id of the form owner/name"
        )
    # A Hub id: the family is known once its model_index.json is read at load time.
    return ModelPreset(name=reference, source=reference, family=_UNKNOWN, defaults=_UNKNOWN.defaults)


def resolve_loaded(preset: ModelPreset, pipeline_class: str, overrides: RenderOverrides) -> ModelPreset:
    """Fill in the family (and with it whether it takes an image) of a preset whose family was unknown until
    its pipeline was loaded."""
    if preset.family is not _UNKNOWN:
        return preset
    family = family_for_pipeline_class(pipeline_class)
    if family is None:
        raise ModelResolutionError(
            f"model {preset.source!r} loads as {pipeline_class}, which this bot does not know how to drive "
            f"(known: {', '.join(c for f in FAMILIES.values() for c in f.pipeline_classes)})"
        )
    return replace(
        preset, family=family, defaults=overrides.apply(family.defaults), pipeline_class=pipeline_class
    )


def _resolve_directory(path: Path, overrides: RenderOverrides) -> ModelPreset:
    index = path / "model_index.json"
    if not index.is_file():
        raise ModelResolutionError(
            f"{path} has no model_index.json: it is not a diffusers pipeline directory"
        )
    try:
        class_name = json.loads(index.read_text())["_class_name"]
    except (ValueError, KeyError) as exc:
        raise ModelResolutionError(f"{index} is not a valid diffusers model index: {exc}") from exc
    sidecar = path / SIDECAR_NAME
    data: dict[str, Any] = {}
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text())
        except ValueError as exc:
            raise ModelResolutionError(f"{sidecar} is not valid JSON: {exc}") from exc
    name = _public_name(path, data.pop("name", None), sidecar)
    # The directory's own word on its family wins: some families share a pipeline class.
    named = data.pop("family", None)
    family = FAMILIES.get(str(named)) if named is not None else family_for_pipeline_class(class_name)
    if family is None:
        raise ModelResolutionError(f"{path} holds a {class_name}, which this bot does not know how to drive")
    try:
        defaults = replace(family.defaults, **data)
    except TypeError as exc:
        raise ModelResolutionError(f"{sidecar} is not valid: {exc}") from exc
    return ModelPreset(
        name=name,
        source=str(path),
        family=family,
        defaults=overrides.apply(defaults),
        pipeline_class=class_name,
    )


def _public_name(path: Path, named: object, sidecar: Path) -> str:
    """What members, clip cards and clip metadata call a local model: never its path, which is the
    owner's business. The sidecar's "name", else the directory's own name."""
    if named is None:
        name = Path(os.path.abspath(path)).name or "local-model"
    elif isinstance(named, str) and named.strip() and not {"/", "\\"} & set(named):
        name = named.strip()
    else:
        raise ModelResolutionError(f'{sidecar}: "name" must be a short name, not a path: {named!r}')
    if len(name) > MAX_NAME:
        raise ModelResolutionError(
            f'{name!r} is longer than Discord\'s {MAX_NAME} characters: give a shorter "name" in {sidecar}'
        )
    return name


_UNKNOWN = Family(
    name="unknown",
    pipeline_classes=(),
    frame_step=1,
    size_multiple=16,
    defaults=RenderDefaults(width=0, height=0, num_frames=0, fps=0, steps=0, guidance=0.0),
)
