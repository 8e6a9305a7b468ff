"""Build an ``Architecture`` into modules and pipelines, with random weights, on any device.

One code path for three uses: the meta device (no memory) to check component sizes against the published
figures, a GPU to benchmark a real architecture without downloading it, and tiny configurations written to
disk for tests, which then load through the same ``from_pretrained`` as a downloaded model.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from generation.architecture import Architecture, ComponentSpec, LoraSpec
from generation.tokenizers import TOKENIZERS


@contextlib.contextmanager
def building_on(device: str, dtype: torch.dtype = torch.float32) -> Iterator[None]:
    """Construct modules directly on ``device`` in ``dtype`` (bf16 on a GPU: a 12B encoder takes too long to
    initialise on a CPU; "meta" allocates nothing)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def _class(spec: ComponentSpec) -> Any:
    return getattr(importlib.import_module(spec.library), spec.class_name)


def build_component(spec: ComponentSpec, device: str = "meta", dtype: torch.dtype = torch.float32) -> Any:
    """One component with random weights (models), or from its config (schedulers, processors)."""
    if spec.library == "tokenizer":
        return TOKENIZERS[spec.class_name]()
    cls = _class(spec)
    if spec.config_class is not None:  # a transformers model, built from its config class
        config = getattr(importlib.import_module(spec.library), spec.config_class)(**spec.config)
        with building_on(device, dtype):
            return cls(config).eval()
    if not isinstance(cls, type) or not issubclass(cls, torch.nn.Module):
        return cls(**spec.config)  # schedulers, guiders, image processors
    with building_on(device, dtype):
        module = cls(**spec.config)
    return module.eval()


def build_pipeline(arch: Architecture, device: str = "meta", dtype: torch.dtype = torch.float32) -> Any:
    components = {spec.name: build_component(spec, device, dtype) for spec in arch.components}
    pipeline_class = getattr(importlib.import_module("diffusers"), arch.pipeline_class)
    return pipeline_class(**components, **arch.pipeline_config)


def parameter_count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def lora_parameter_count(lora: LoraSpec, denoiser: Any) -> int:
    """Parameters of ``lora`` applied to ``denoiser``: rank x (in + out) for every adapted linear layer."""
    total = 0
    for name, layer in denoiser.named_modules():
        if isinstance(layer, torch.nn.Linear) and any(name.endswith(t) for t in lora.targets):
            total += lora.rank * (layer.in_features + layer.out_features)
    return total


def add_random_lora(pipe: Any, lora: LoraSpec, seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """Random low-rank weights shaped like ``lora`` for each of its denoisers, in diffusers' LoRA format.

    Returns state dicts keyed by denoiser; ``save_lora`` writes them where ``load_lora_weights`` finds them.
    """
    from peft import LoraConfig, get_peft_model_state_dict

    generator = torch.Generator().manual_seed(seed)
    layers: dict[str, dict[str, torch.Tensor]] = {}
    for denoiser_name in lora.into:
        denoiser = getattr(pipe, denoiser_name)
        targets = [
            name
            for name, layer in denoiser.named_modules()
            if isinstance(layer, torch.nn.Linear) and any(name.endswith(t) for t in lora.targets)
        ]
        adapter = f"random-{lora.adapter_name}"
        denoiser.add_adapter(
            LoraConfig(r=lora.rank, lora_alpha=lora.rank, target_modules=targets, init_lora_weights=False),
            adapter_name=adapter,
        )
        state = get_peft_model_state_dict(denoiser, adapter_name=adapter)
        layers[denoiser_name] = {
            k: torch.randn(v.shape, generator=generator, dtype=v.dtype) * 0.02 for k, v in state.items()
        }
        denoiser.delete_adapters(adapter)
    return layers


def save_lora(
    pipe: Any, layers: dict[str, dict[str, torch.Tensor]], directory: str, weight_names: dict[str, str]
) -> None:
    """Write each denoiser's LoRA layers as ``directory/weight_names[denoiser]``, as on the Hub."""
    from pathlib import Path

    save: Callable[..., None] = type(pipe).save_lora_weights
    for denoiser_name, state in layers.items():
        target = Path(directory) / weight_names[denoiser_name]
        target.parent.mkdir(parents=True, exist_ok=True)
        save(str(target.parent), transformer_lora_layers=state, weight_name=target.name)
