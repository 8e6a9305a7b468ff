"""Model families: what a diffusers pipeline class needs and allows.

A family groups the pipeline classes that share frame and size rules and call arguments, so a preset, a
local diffusers directory and a Hub id all resolve to the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RenderDefaults:
    """What a render uses when the request and the configuration say nothing."""

    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    supports_negative: bool = True
    # Guidance of a second denoiser (Wan 2.2 A14B's low-noise expert); None: the pipeline uses ``guidance``.
    guidance_2: float | None = None


@dataclass(frozen=True)
class Family:
    name: str
    pipeline_classes: tuple[str, ...]
    # Valid frame counts are frame_step * k + 1 (the VAE's temporal compression).
    frame_step: int
    # Width and height must be multiples of this (VAE spatial compression times patch size).
    size_multiple: int
    defaults: RenderDefaults
    # Extra keyword arguments for the pipeline call; the frame rate is passed where the pipeline takes one.
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    # Image-to-video families need a first frame; some (SVD) take no prompt at all.
    needs_image: bool = False
    takes_prompt: bool = True
    # What the pipeline calls the guidance strength and the frame rate it conditions on.
    guidance_param: str = "guidance_scale"
    fps_param: str = "frame_rate"
    # The longest clip the model makes well (its training length, or what fits its positional range).
    max_frames: int = 257
    # The pipeline returns sound with the picture (LTX-2).
    makes_audio: bool = False
    # Guidance is set on the pipeline's guider component rather than passed to the call (HunyuanVideo 1.5).
    guidance_via_guider: bool = False
    # Guidance is distilled into the model (one pass per step, whatever the scale): HunyuanVideo.
    embedded_guidance: bool = False
    # The pipeline picks the frame size itself from the first frame's aspect (HunyuanVideo 1.5 I2V buckets).
    size_from_image: bool = False

    def fit_frames(self, frames: int) -> int:
        """The nearest valid frame count, at least one latent frame past the first."""
        k = max(1, round((frames - 1) / self.frame_step))
        return self.frame_step * k + 1

    def fit_side(self, pixels: int) -> int:
        """The nearest multiple of size_multiple, never below one multiple."""
        return max(self.size_multiple, round(pixels / self.size_multiple) * self.size_multiple)

    @property
    def longest_frames(self) -> int:
        """The most frames, by the frame rule, within what the model makes well."""
        longest = self.fit_frames(self.max_frames)
        return longest - self.frame_step if longest > self.max_frames else longest

    def frames_for(self, seconds: float, fps: int) -> int:
        """Frames for a clip of about ``seconds``, by the frame rule, within what the model makes well."""
        return min(self.fit_frames(round(seconds * fps) + 1), self.longest_frames)

    def frames_within(self, frames: int, fps: int, seconds: float) -> int:
        """``frames`` stepped down by the frame rule until the clip lasts at most ``seconds`` (a GIF's)."""
        frames = min(self.fit_frames(frames), self.longest_frames)
        while frames / fps > seconds and frames - self.frame_step > self.frame_step:
            frames -= self.frame_step
        return frames

    def size_for(self, aspect: str, width: int, height: int) -> tuple[int, int]:
        """Sides of about the area of width x height in ``aspect``, such as "16:9", "9:16" or "1:1"."""
        across, down = (int(part) for part in aspect.split(":"))
        area = width * height
        new_height = (area * down / across) ** 0.5
        return self.fit_side(round(new_height * across / down)), self.fit_side(round(new_height))


# Wan 2.1: 832x480, 81 frames at 16 fps, 50 steps, guidance 5 (the pipeline's defaults and the original
# generate.py's; https://github.com/Wan-Video/Wan2.1).
WAN = Family(
    name="wan",
    pipeline_classes=("WanPipeline",),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(width=832, height=480, num_frames=81, fps=16, steps=50, guidance=5.0),
    max_frames=81,
)

# Wan 2.2's VAE compresses 16x (Wan 2.1's 8x), so sides are multiples of 32. It shares WanPipeline with
# Wan 2.1 and is chosen by preset or by a directory's videobot.json, never by pipeline class.
WAN22 = Family(
    name="wan2.2",
    pipeline_classes=(),
    frame_step=4,
    size_multiple=32,
    defaults=RenderDefaults(width=1280, height=704, num_frames=121, fps=24, steps=50, guidance=5.0),
    max_frames=121,
)

LTX = Family(
    name="ltx",
    pipeline_classes=("LTXPipeline", "LTXConditionPipeline"),
    frame_step=8,
    size_multiple=32,
    # The LTXImageToVideoPipeline example: 704x480, 50 steps, guidance 3, played at 24 fps (5 s here).
    defaults=RenderDefaults(width=704, height=480, num_frames=121, fps=24, steps=50, guidance=3.0),
    # Timestep-conditioned LTX VAEs (0.9.1 and later) decode best with a little noise; older ones ignore it.
    call_kwargs={"decode_timestep": 0.05, "decode_noise_scale": 0.025},
)

COGVIDEOX = Family(
    name="cogvideox",
    pipeline_classes=("CogVideoXPipeline",),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(width=720, height=480, num_frames=49, fps=8, steps=50, guidance=6.0),
    max_frames=49,
)

MODELSCOPE = Family(
    name="modelscope",
    pipeline_classes=("TextToVideoSDPipeline",),
    frame_step=1,  # any frame count: the UNet's temporal layers have no compression
    size_multiple=8,
    defaults=RenderDefaults(width=256, height=256, num_frames=16, fps=8, steps=25, guidance=9.0),
    max_frames=32,
)

ANIMATEDIFF = Family(
    name="animatediff",
    pipeline_classes=("AnimateDiffPipeline",),
    frame_step=1,  # the motion modules were trained on 16 frames; any count runs
    size_multiple=8,
    defaults=RenderDefaults(width=512, height=512, num_frames=16, fps=8, steps=25, guidance=7.5),
    max_frames=32,
)

LTX_I2V = Family(
    name="ltx-i2v",
    pipeline_classes=("LTXImageToVideoPipeline",),
    frame_step=LTX.frame_step,
    size_multiple=LTX.size_multiple,
    defaults=LTX.defaults,
    call_kwargs=LTX.call_kwargs,
    needs_image=True,
)

SVD = Family(
    name="svd",
    pipeline_classes=("StableVideoDiffusionPipeline",),
    frame_step=1,
    size_multiple=8,
    defaults=RenderDefaults(
        width=1024, height=576, num_frames=25, fps=7, steps=25, guidance=3.0, supports_negative=False
    ),
    needs_image=True,
    takes_prompt=False,
    guidance_param="max_guidance_scale",
    fps_param="fps",
    max_frames=25,
    # Decode 8 frames at a time, as the diffusers SVD guide does (all 25 at once need about 16 GB).
    call_kwargs={"decode_chunk_size": 8},
)

WAN_I2V = Family(
    name="wan-i2v",
    pipeline_classes=("WanImageToVideoPipeline",),
    frame_step=WAN.frame_step,
    size_multiple=WAN.size_multiple,
    defaults=RenderDefaults(width=832, height=480, num_frames=81, fps=16, steps=40, guidance=5.0),
    needs_image=True,
    max_frames=81,
)

HUNYUAN = Family(
    name="hunyuanvideo",
    pipeline_classes=("HunyuanVideoPipeline",),
    frame_step=4,
    size_multiple=16,
    # Guidance is distilled into the model (embedded guidance); no negative prompt.
    defaults=RenderDefaults(
        width=848, height=480, num_frames=61, fps=24, steps=30, guidance=6.0, supports_negative=False
    ),
    max_frames=129,
    embedded_guidance=True,
)

# LTX-2: the LTX-Video frame and size rules, sound at 24 kHz. The distilled checkpoint runs without any of
# the extra passes the pipeline otherwise makes (classifier-free, spatio-temporal and modality guidance, for
# picture and sound): the diffusers LTX-2 guide's distilled recipe, and every pass a 2x cost.
LTX2 = Family(
    name="ltx2",
    pipeline_classes=("LTX2Pipeline",),
    frame_step=8,
    size_multiple=32,
    defaults=RenderDefaults(
        width=768, height=512, num_frames=121, fps=24, steps=8, guidance=1.0, supports_negative=False
    ),
    call_kwargs={
        "audio_guidance_scale": 1.0,
        "stg_scale": 0.0,
        "audio_stg_scale": 0.0,
        "modality_scale": 1.0,
        "audio_modality_scale": 1.0,
        "guidance_rescale": 0.0,
        "audio_guidance_rescale": 0.0,
        "spatio_temporal_guidance_blocks": None,
    },
    max_frames=257,
    makes_audio=True,
)

# HunyuanVideo 1.5: 16x VAE, no patching; it decides the size from an aspect bucket of target_size
# (480p: 848x480 at 16:9) and takes guidance through its guider. 121 frames at 24 fps is its training clip.
HUNYUAN15 = Family(
    name="hunyuanvideo15",
    pipeline_classes=("HunyuanVideo15Pipeline",),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(width=848, height=480, num_frames=121, fps=24, steps=50, guidance=6.0),
    max_frames=121,
    guidance_via_guider=True,
)
HUNYUAN15_I2V = Family(
    name="hunyuanvideo15-i2v",
    pipeline_classes=("HunyuanVideo15ImageToVideoPipeline",),
    frame_step=4,
    size_multiple=16,
    defaults=HUNYUAN15.defaults,
    max_frames=121,
    guidance_via_guider=True,
    needs_image=True,
    size_from_image=True,
)

# Kandinsky 5 Lite: the HunyuanVideo VAE (8x) with 2x2 patches; the 5-second models make 121 frames at 24 fps.
KANDINSKY5 = Family(
    name="kandinsky5",
    pipeline_classes=("Kandinsky5T2VPipeline",),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(width=768, height=512, num_frames=121, fps=24, steps=50, guidance=5.0),
    max_frames=121,
)

# Wan 2.2 A14B: Wan 2.1's rules, two experts, each with its own guidance (the original code samples 40 steps
# at 4.0 high-noise and 3.0 low-noise: https://github.com/Wan-Video/Wan2.2, wan/configs/wan_t2v_A14B.py).
WAN22_A14B = Family(
    name="wan2.2-a14b",
    pipeline_classes=(),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(
        width=832, height=480, num_frames=81, fps=16, steps=40, guidance=4.0, guidance_2=3.0
    ),
    max_frames=81,
)
WAN22_A14B_I2V = Family(
    name="wan2.2-a14b-i2v",
    pipeline_classes=(),
    frame_step=4,
    size_multiple=16,
    defaults=RenderDefaults(
        width=832, height=480, num_frames=81, fps=16, steps=40, guidance=3.5, guidance_2=3.5
    ),
    max_frames=81,
    needs_image=True,
)

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        WAN,
        WAN22,
        WAN22_A14B,
        WAN22_A14B_I2V,
        LTX,
        LTX2,
        COGVIDEOX,
        MODELSCOPE,
        ANIMATEDIFF,
        HUNYUAN,
        HUNYUAN15,
        HUNYUAN15_I2V,
        KANDINSKY5,
        LTX_I2V,
        SVD,
        WAN_I2V,
    )
}


# Pipelines whose call takes a first frame: optional for LTXConditionPipeline, required for the others (their
# families need an image). Checked against each class's call signature in tests/unit/test_presets.py.
IMAGE_PIPELINES = frozenset(
    {
        "LTXConditionPipeline",
        "LTXImageToVideoPipeline",
        "StableVideoDiffusionPipeline",
        "WanImageToVideoPipeline",
        "HunyuanVideo15ImageToVideoPipeline",
    }
)


def family_for_pipeline_class(class_name: str) -> Family | None:
    for family in FAMILIES.values():
        if class_name in family.pipeline_classes:
            return family
    return None
