"""English and French through the real client: commands carry French names and descriptions, and a
refusal is in the language of the member's Discord client."""

from __future__ import annotations

from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply, text
from tests.acceptance.support import MEMBER


async def test_commands_and_refusals_speak_the_members_language(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, env, tmp_path):
            commands = {c["name"]: c for c in discord.commands}
            video = commands["video"]
            assert video["name_localizations"]["fr"] == "vidéo"
            assert video["description_localizations"]["fr"].startswith("Transformer une description")
            prompt = next(o for o in video["options"] if o["name"] == "prompt")
            assert prompt["name_localizations"]["fr"] == "description"
            assert "en-US" not in video.get("name_localizations", {})  # English is the source
            assert commands["story"]["name_localizations"]["fr"] == "histoire"

            answers = {}
            for locale in ("fr", "en-US"):
                empty = discord.slash_command("video", MEMBER, prompt=" \u200b ", locale=locale)
                await discord.interact(empty)
                answers[locale] = text(await discord.wait_for(private_reply(empty["token"]), 10, locale))
            assert answers["fr"].startswith("Votre description est vide.")
            assert answers["en-US"].startswith("Your prompt is empty.")

            gif = discord.slash_command("story", MEMBER, shots="one shot only", locale="fr")
            await discord.interact(gif)
            story = text(await discord.wait_for(private_reply(gif["token"]), 10, "story"))
            assert story.startswith("Une histoire compte de 2 à 6 plans") and "La vôtre en a 1." in story
