"""What a checkpoint is made of, as published: each component's class and config, its size, and its source.

These are plain data (no torch import), so presets, the memory planner and ``python -m generation presets``
stay cheap. ``generation.assemble`` turns an ``Architecture`` into modules: on the meta device to check the
sizes against the published figures, with random weights to benchmark a model without downloading it, or
shrunk to a tiny pipeline for tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GB = 1000**3  # the Hub shows sizes in decimal gigabytes


@dataclass(frozen=True)
class ComponentSpec:
    """One component of a pipeline: a model, a scheduler, a tokenizer or an image processor."""

    name: str  # the pipeline's argument, e.g. "transformer", "text_encoder_2"
    # "diffusers" or "transformers" (models, schedulers, processors), or "tokenizer" (see assemble.TOKENIZERS)
    library: str
    class_name: str  # e.g. "WanTransformer3DModel", "UMT5EncoderModel", "FlowMatchEulerDiscreteScheduler"
    config: Mapping[str, Any] = field(default_factory=dict)
    # transformers models are built from a config class, e.g. "UMT5Config"
    config_class: str | None = None
    # The published parameter count (from the checkpoint's files or model card); None for non-models.
    params: int | None = None
    # Bytes this component's files take on the Hub (what a download fetches); 0 when negligible.
    download_bytes: int = 0
    source: str = ""  # where the config and the figures were read
    # No size was found published for this component: ``params`` is what its config builds to.
    unpublished: bool = False


@dataclass(frozen=True)
class LoraSpec:
    """Low-rank weights from a second source, loaded into the pipeline (e.g. a few-step distillation)."""

    source: str  # Hub id
    weight_name: str
    adapter_name: str
    # Which denoisers take it, and the keyword diffusers uses for each ("" for the first).
    into: tuple[str, ...] = ("transformer",)
    rank: int = 0
    # Linear layers it adapts, as suffixes of module names in the denoiser (e.g. "attn1.to_q").
    targets: tuple[str, ...] = ()
    params: int | None = None  # published, per denoiser
    download_bytes: int = 0
    source_url: str = ""


@dataclass(frozen=True)
class Geometry:
    """How a clip's size becomes the denoiser's token count, and how wide each token is."""

    spatial: int  # the VAE's spatial compression
    temporal: int  # the VAE's temporal compression (frames 1 + k * temporal become 1 + k latent frames)
    patch: tuple[int, int, int]  # the denoiser's patch (frames, height, width) over the latents
    hidden: int  # width of a token inside the denoiser's blocks
    ffn: int  # width of its feed-forward layer
    latent_channels: int
    blocks: int = 1  # the denoiser's repeated blocks, which group offloading streams one at a time
    # The VAE decodes this many pixel frames at a time (0: all at once); causal video VAEs go chunk by chunk.
    decode_chunk_frames: int = 0
    # Channels of the VAE decoder's last stage per output pixel (its working memory is at full resolution);
    # decoders that unpatchify (LTX: 4x4) run that stage at a fraction of the resolution.
    decoder_channels: int = 128

    def tokens(self, width: int, height: int, frames: int) -> int:
        latent_frames = (frames - 1) // self.temporal + 1 if self.temporal > 1 else frames
        pt, ph, pw = self.patch
        return -(-latent_frames // pt) * -(-height // (self.spatial * ph)) * -(-width // (self.spatial * pw))


@dataclass(frozen=True)
class Architecture:
    pipeline_class: str
    components: tuple[ComponentSpec, ...]
    geometry: Geometry
    # Which components run at every denoising step (two for Wan 2.2 A14B's high- and low-noise experts).
    denoisers: tuple[str, ...] = ("transformer",)
    # Keyword arguments of the pipeline's own constructor (e.g. Wan 2.2's boundary_ratio).
    pipeline_config: Mapping[str, Any] = field(default_factory=dict)
    loras: tuple[LoraSpec, ...] = ()
    # Files a download fetches that no component above accounts for (tokenizers, unused checkers...).
    other_download_bytes: int = 0

    def component(self, name: str) -> ComponentSpec:
        for spec in self.components:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def models(self) -> tuple[ComponentSpec, ...]:
        return tuple(c for c in self.components if c.params is not None)

    @property
    def params(self) -> int:
        return sum(c.params or 0 for c in self.components) + sum(
            (lora.params or 0) * len(lora.into) for lora in self.loras
        )

    @property
    def download_bytes(self) -> int:
        return (
            sum(c.download_bytes for c in self.components)
            + sum(lora.download_bytes for lora in self.loras)
            + self.other_download_bytes
        )
