import pytest

from generation.memory import GIB, ModelSize, Profile, choose_profile

# Real sizes in bf16: Wan 2.1 14B (transformer 28 GiB, UMT5-XXL 11 GiB, VAE), LTX-Video 2B (transformer
# 4 GiB, T5-XXL 9.5 GiB, VAE).
WAN_14B = ModelSize(total_bytes=40 * GIB, largest_bytes=28 * GIB)
LTX_2B = ModelSize(total_bytes=14 * GIB, largest_bytes=int(9.5 * GIB))


@pytest.mark.parametrize(
    ("size", "free_gib", "profile"),
    [
        (WAN_14B, 79, Profile.FULL),  # H100 80 GB
        (WAN_14B, 23, Profile.GROUP_OFFLOAD),  # 24 GB card: the transformer alone does not fit
        (WAN_14B, 40, Profile.MODEL_OFFLOAD),
        (LTX_2B, 23, Profile.FULL),
        (LTX_2B, 11, Profile.GROUP_OFFLOAD),
        (LTX_2B, 15.5, Profile.MODEL_OFFLOAD),
        (LTX_2B, 4, Profile.SEQUENTIAL_OFFLOAD),
    ],
)
def test_the_profile_follows_free_memory(size: ModelSize, free_gib: float, profile: Profile) -> None:
    assert choose_profile(int(free_gib * GIB), size) is profile


def test_more_memory_never_chooses_a_slower_profile() -> None:
    order = list(Profile)
    previous = len(order)
    for free_gib in range(1, 100):
        rank = order.index(choose_profile(free_gib * GIB, WAN_14B))
        assert rank <= previous
        previous = rank
