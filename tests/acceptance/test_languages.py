"""English and French through the real client: commands carry French names and descriptions, and
refusals and private answers are in the language of the member's Discord client."""

from __future__ import annotations

from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS
from standins.discord.replies import private_reply, reply_to, text
from tests.acceptance.support import MEMBER, MODERATOR, clip_posts, status_text, wait_until


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

            # Moderation, settings, history and the command errors answer in the member's language too.
            show = discord.slash_command(
                "videomod",
                MODERATOR,
                subcommand=["settings", "show"],
                permissions=ALL_PERMISSIONS,
                locale="fr",
            )
            settings = text(await reply_to(discord, show))
            assert settings.startswith("`/vidéo` peut être utilisée dans tous les salons.")
            assert "Badge « IA » visible sur les vidéos : désactivé." in settings
            refused = discord.slash_command("videomod", MEMBER, subcommand=["audit"], locale="fr")
            assert text(await reply_to(discord, refused)) == (
                "Seuls les membres ayant la permission Gérer le serveur peuvent utiliser `/videomod`."
            )
            missing = discord.slash_command("show", MEMBER, job=99, locale="fr")
            assert (
                text(await reply_to(discord, missing))
                == "Il n’y a pas ici de tâche n° 99 que vous puissiez voir."
            )


async def test_channel_posts_speak_the_servers_language_or_the_one_moderators_chose(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        # A French server: the status card, the clip's post and its buttons are in French.
        first = discord.slash_command("video", MEMBER, prompt="un chat", locale="fr", guild_locale="fr")
        await discord.interact(first)
        await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the clip")
        (clip,) = clip_posts(discord, 1)
        assert clip["content"] == f"<@{MEMBER}> votre vidéo est prête."
        assert clip["embeds"][0]["title"] == "Tâche n° 1"
        fields = {f["name"] for f in clip["embeds"][0]["fields"]}
        assert {"Graine", "Durée", "Modèle"} <= fields
        assert clip["embeds"][0]["footer"]["text"].startswith("Vidéo générée par IA")
        labels = [b["label"] for row in clip["components"] for b in row["components"]]
        assert labels == ["Relancer", "Remixer", "Supprimer"]
        await wait_until(lambda: "est terminée" in status_text(discord, first), 15, "the card done")
        queued = next(r.json["content"] for r in discord.of_route("webhook_edit") if first["token"] in r.path)
        assert queued.startswith("⏳ La tâche n° 1 est en file")

        # Its moderators choose English for the channel posts, whatever the server's own language.
        choose = discord.slash_command(
            "videomod",
            MODERATOR,
            subcommand=["settings", "language"],
            permissions=ALL_PERMISSIONS,
            language="en",
        )
        assert "English" in text(await reply_to(discord, choose))
        second = discord.slash_command("video", MEMBER, prompt="a cat", locale="fr", guild_locale="fr")
        await discord.interact(second)
        await wait_until(lambda: bool(clip_posts(discord, 2)), 90, "the second clip")
        (english,) = clip_posts(discord, 2)
        assert english["content"] == f"<@{MEMBER}> your clip is ready."
