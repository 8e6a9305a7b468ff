"""Pictures of what members see, for the README: the bot's real messages, drawn.

Runs the unmodified bot (``python -m bot``, the tiny random-weight Wan, SQLite) against the Discord
stand-in, in English and in French: a clip is made, three more are queued behind it so that a card shows
its expected start and finish, and the Remix form is opened. Then it draws those messages exactly as the
stand-in received them (text, embed, buttons, form), in the colours of Discord's dark theme.

These are drawings of real payloads, not screenshots of Discord: the dark box stands for the attached
clip's player, Discord timestamps are written as a client shows them ("in 12 seconds"), and emoji are
drawn as plain symbols (the font has no colour emoji).

    python scripts/render_previews.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from generation.tiny import make_tiny  # noqa: E402
from standins.bot_process import bot_env, bot_process  # noqa: E402
from standins.discord import DiscordStandIn  # noqa: E402

MEMBER = 123456789012345678
NAMES = {MEMBER: "meme_enjoyer"}
WIDTH = 720
FONTS = Path("/usr/share/fonts/truetype/dejavu")
# Discord's dark theme.
BACKGROUND, EMBED, TEXT, MUTED, NAME = "#313338", "#2b2d31", "#dbdee1", "#949ba4", "#f2f3f5"
MENTION, MENTION_TEXT, BUTTON, FIELD, LINK = "#3c4270", "#c9cdfb", "#4e5058", "#2b2d31", "#00a8fc"
# Emoji the font lacks, as symbols it has.
SYMBOLS = {
    "⏳": "◷",
    "🎬": "▶",
    "✅": "✔",
    "❌": "✖",
    "🚫": "⊘",
    "🎲": "⚄",
    "⏩": "»",
    "🗑": "✕",
    "\ufe0f": "",
}
# How a client writes a relative Discord timestamp.
IN_SECONDS = {"en": "in {n} seconds", "fr": "dans {n} secondes"}
IN_MINUTES = {"en": "in {n} minutes", "fr": "dans {n} minutes"}


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def shown(text: str, at: float, language: str = "en") -> str:
    """Markdown and Discord's tokens as a client displays them at the time ``at``."""

    def timestamp(match: re.Match[str]) -> str:
        seconds = int(match[1]) - at
        if seconds < 90:
            return IN_SECONDS[language].format(n=max(1, round(seconds)))
        return IN_MINUTES[language].format(n=round(seconds / 60))

    text = re.sub(r"<t:(\d+):R>", timestamp, text)
    text = re.sub(r"<@!?(\d+)>", lambda m: "@" + NAMES.get(int(m[1]), "member"), text)
    text = re.sub(r"<#\d+>", "#memes", text)
    text = re.sub(r"\[([^\]]+)\]\(<?[^)>]+>?\)", r"\1", text)
    text = text.replace("**", "")
    text = re.sub(r"\\(.)", r"\1", text)
    return "".join(SYMBOLS.get(char, char) for char in text)


def _wrapped(text: str, font: ImageFont.FreeTypeFont, width: int) -> Iterator[str]:
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width or not line:
                line = candidate
            else:
                yield line
                line = word
        yield line


class Canvas:
    """Draws top to bottom on a tall strip; cropped to what was drawn."""

    def __init__(self, width: int = WIDTH, background: str = BACKGROUND) -> None:
        self.width = width
        self.image = Image.new("RGB", (width, 2000), background)
        self.draw = ImageDraw.Draw(self.image)
        self.y = 16

    def text(self, text: str, x: int, size: int = 15, colour: str = TEXT, bold: bool = False) -> None:
        font = _font(size, bold)
        for line in _wrapped(text, font, self.width - x - 16):
            for mention in re.finditer(r"@\w+", line):
                left = x + font.getlength(line[: mention.start()])
                right = x + font.getlength(line[: mention.end()])
                self.draw.rounded_rectangle((left - 2, self.y, right + 2, self.y + size + 5), 3, MENTION)
            self.draw.text((x, self.y), line, font=font, fill=colour)
            self.y += size + 7

    def author(self, name: str = "videobot") -> None:
        self.draw.ellipse((16, self.y, 56, self.y + 40), "#5865f2")
        self.draw.text((28, self.y + 8), "▶", font=_font(20, bold=True), fill="white")
        bold = _font(16, bold=True)
        self.draw.text((72, self.y), name, font=bold, fill=NAME)
        tag = 80 + int(bold.getlength(name))
        self.draw.rounded_rectangle((tag, self.y + 2, tag + 34, self.y + 18), 3, "#5865f2")
        self.draw.text((tag + 4, self.y + 3), "APP", font=_font(11, bold=True), fill="white")
        self.draw.text((tag + 44, self.y + 2), "Today at 21:07", font=_font(12), fill=MUTED)
        self.y += 24

    def buttons(self, rows: list[dict[str, Any]]) -> None:
        self.y += 4
        for row in rows:
            x = 72
            for button in row["components"]:
                emoji = (button.get("emoji") or {}).get("name", "")
                label = shown(f"{emoji} {button.get('label', '')}".strip(), 0)
                width = int(_font(14).getlength(label)) + 32
                colour = {1: "#5865f2", 3: "#248046", 4: "#da373c"}.get(button.get("style", 2), BUTTON)
                self.draw.rounded_rectangle((x, self.y, x + width, self.y + 32), 4, colour)
                self.draw.text((x + 16, self.y + 7), label, font=_font(14), fill="white")
                x += width + 8
            self.y += 40

    def embed(self, embed: dict[str, Any], at: float) -> None:
        """Discord's card: a coloured bar, title, prompt, fields three to a row, the clip, the footer."""
        card = Canvas(self.width - 72 - 24, EMBED)
        card.y = 10
        card.text(shown(embed.get("title", ""), at), 16, 16, NAME, bold=True)
        if embed.get("description"):
            card.text(shown(embed["description"], at), 16, 14)
        fields = embed.get("fields", [])
        for field in [f for f in fields if not f.get("inline", True)]:
            card.text(shown(field["name"], at), 16, 13, NAME, bold=True)
            card.text(shown(field["value"], at), 16, 13)
        inline = [f for f in fields if f.get("inline", True)]
        column = (card.width - 32) // 3
        for first in range(0, len(inline), 3):
            top, bottom = card.y, card.y
            for index, field in enumerate(inline[first : first + 3]):
                card.y = top
                column_card = Canvas(column, EMBED)
                column_card.y = 0
                column_card.text(shown(field["name"], at), 0, 13, NAME, bold=True)
                column_card.text(shown(field["value"], at), 0, 13)
                card.image.paste(
                    column_card.image.crop((0, 0, column, column_card.y)), (16 + index * column, top)
                )
                bottom = max(bottom, top + column_card.y)
            card.y = bottom + 4
        card.draw.rounded_rectangle((16, card.y, 336, card.y + 180), 6, "#111214")
        card.draw.text((164, card.y + 72), "▶", font=_font(30), fill="white")
        card.y += 192
        if embed.get("footer"):
            card.text(shown(embed["footer"]["text"], at), 16, 12, MUTED)
        card.y += 6
        self.draw.rectangle((72, self.y, 76, self.y + card.y), "#5865f2")
        self.image.paste(card.image.crop((4, 0, card.width, card.y)), (76, self.y))
        self.y += card.y + 4

    def save(self, path: Path) -> None:
        self.image.crop((0, 0, self.width, self.y + 12)).save(path)
        print(f"wrote {path}")


def message(payload: dict[str, Any], at: float, path: Path, language: str = "en") -> None:
    canvas = Canvas()
    canvas.author()
    if payload.get("content"):
        canvas.text(shown(payload["content"], at, language), 72)
    for embed in payload.get("embeds") or []:
        canvas.embed(embed, at)
    canvas.buttons(payload.get("components") or [])
    canvas.save(path)


def form(payload: dict[str, Any], path: Path) -> None:
    """A form (modal) as Discord shows it: its title, then each input's label above its box."""
    canvas = Canvas(520, "#313338")
    canvas.text(payload["title"], 20, 18, NAME, bold=True)
    canvas.y += 6
    for row in payload["components"]:
        for field in row["components"]:
            canvas.text(field["label"].upper(), 20, 12, MUTED, bold=True)
            box = Canvas(480, "#1e1f22")
            box.y = 10
            box.text(field.get("value") or field.get("placeholder") or "", 12, 14)
            height = max(box.y + 6, 40)
            canvas.image.paste(box.image.crop((0, 0, 480, height)), (20, canvas.y))
            canvas.y += height + 14
    canvas.draw.rounded_rectangle((404, canvas.y, 500, canvas.y + 36), 4, "#5865f2")
    canvas.draw.text((426, canvas.y + 9), "Submit", font=_font(14), fill="white")
    canvas.y += 44
    canvas.save(path)


async def capture(out: Path, work: Path) -> None:
    model = make_tiny(work / "tiny-wan", "wan")
    guild_locale = {"en": "en-US", "fr": "fr"}
    async with DiscordStandIn() as discord:
        # With a model that starts from an image, clips get an Extend button.
        image_model = make_tiny(work / "tiny-svd", "svd")
        database = f"sqlite+aiosqlite:///{work / 'bot.db'}"
        # Renders of a few seconds, so that the queue's times mean something.
        env = bot_env(
            discord,
            model,
            database,
            VIDEOBOT_GENERATION__IMAGE_MODEL=str(image_model),
            VIDEOBOT_GENERATION__STEPS="120",
            VIDEOBOT_LIMITS__MAX_PENDING="5",  # the member queues three at once
        )
        async with bot_process(discord, env, work):
            prompts = {"en": "a cat eating spaghetti", "fr": "un chat qui mange des spaghettis"}
            for number, (language, prompt) in enumerate(prompts.items(), 1):
                locale = guild_locale[language]
                await discord.interact(
                    discord.slash_command("video", MEMBER, prompt=prompt, locale=locale, guild_locale=locale)
                )
                clip = await _clip(discord, number)
                message(clip, time.time(), out / f"clip-{language}.png", language)
            # Three more: the last one's card shows when it should start and be ready.
            for prompt in ("a dog on a skateboard", "a frog singing opera", "a goose chasing a tourist"):
                last = discord.slash_command("video", MEMBER, prompt=prompt)
                await discord.interact(last)
                await asyncio.sleep(1)  # queued in this order
            card = await discord.wait_for(
                lambda r: (
                    r.route == "webhook_edit"
                    and last["token"] in r.path
                    and "<t:" in ((r.json or {}).get("content") or "")
                ),
                60,
                "an ETA",
            )
            # When the card was sent, as a member reading it then would see its timestamps.
            message(card.json, time.time() - (time.monotonic() - card.at), out / "queued-card.png")
            first = next(
                m for m in discord.messages.values() if (m.get("embeds") or [{}])[0].get("title") == "Job #1"
            )
            remix = next(
                b for row in first["components"] for b in row["components"] if b.get("label") == "Remix"
            )
            click = discord.click(int(first["id"]), remix["custom_id"], MEMBER)
            await discord.interact(click)
            await _until(lambda: click["token"] in discord.forms)
            form(discord.forms[click["token"]], out / "remix-form.png")


async def _clip(discord: DiscordStandIn, job_id: int) -> dict[str, Any]:
    def posted() -> dict[str, Any] | None:
        for posted_message in discord.messages.values():
            embeds = posted_message.get("embeds") or []
            if (
                embeds
                and re.search(rf"\b{job_id}$", embeds[0].get("title", ""))
                and posted_message.get("attachments")
            ):
                return posted_message
        return None

    await _until(lambda: posted() is not None, 180)
    found = posted()
    assert found is not None
    return found


async def _until(check: Any, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(capture(args.out.resolve(), Path(work)))


if __name__ == "__main__":
    main()
