"""The benchmark's real architectures have the published sizes (built on the meta device: no memory)."""

import pytest

from bench.real_models import real_pipeline


def _billions(module: object) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e9  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("family", "denoiser", "text_encoder"),
    [
        ("wan", (1.3, 1.5), (5.5, 5.8)),  # Wan 2.1 T2V 1.3B; UMT5-XXL encoder
        ("ltx", (1.8, 2.1), (4.6, 4.9)),  # LTX-Video 2B; T5-v1.1-XXL encoder
    ],
)
def test_real_architectures_have_the_published_sizes(
    family: str, denoiser: tuple[float, float], text_encoder: tuple[float, float]
) -> None:
    pipe, _preset = real_pipeline(family, device="meta")
    assert denoiser[0] <= _billions(pipe.transformer) <= denoiser[1]
    assert text_encoder[0] <= _billions(pipe.text_encoder) <= text_encoder[1]
