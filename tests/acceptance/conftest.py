"""Fixtures the acceptance tests share."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.discord_app.endpoints import point_discord_at
from standins.discord import DiscordStandIn
from tests.acceptance.support import WRITTEN_IN


@pytest.fixture
async def discord_client() -> AsyncIterator[tuple[DiscordStandIn, discord.Client]]:
    """A REST-only client logged in to the stand-in, as a separate worker process (``run_worker``) and
    ``python -m bot sync`` have."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordStandIn() as standin:
        point_discord_at(standin.api_base, standin.gateway_url)
        client = discord.Client(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        try:
            async with client:
                await client.login(standin.token)
                yield standin, client
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture(scope="session")
def wide_wan(tiny_wan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny Wan with a transformer wide enough (about 13 MB) that a download of it is written to disk
    in more than one chunk, so that an interruption leaves part of it there."""
    from diffusers import WanTransformer3DModel

    wide = tmp_path_factory.mktemp("wide") / "tiny-wan"
    shutil.copytree(tiny_wan, wide)
    narrow = WanTransformer3DModel.from_pretrained(tiny_wan / "transformer")
    WanTransformer3DModel.from_config({**narrow.config, "ffn_dim": 32768}).save_pretrained(
        wide / "transformer"
    )
    assert (wide / "transformer" / "diffusion_pytorch_model.safetensors").stat().st_size > WRITTEN_IN
    (wide / "samples").mkdir()
    (wide / "samples" / "demo.mp4").write_bytes(b"\0" * 4096)  # in the repository, not in the pipeline
    return wide
