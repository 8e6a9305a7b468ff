"""A small local stand-in for Discord (REST + gateway on 127.0.0.1) that the real discord.py client uses.

See ``../shared/notes/discord-standin.md`` for the protocol traps this server is written around.
"""

from standins.discord.server import DiscordStandIn, Recorded

__all__ = ["DiscordStandIn", "Recorded"]
