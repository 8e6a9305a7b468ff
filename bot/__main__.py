"""``python -m bot [run|worker|migrate|sync|status|doctor|models list|models pull] [--config PATH]``.

``run``: the bot (and, unless ``[worker] embedded = false``, a worker); ``worker``: a worker alone;
``migrate``: bring the database up to date; ``sync``: send the slash commands to Discord now (a start
sends them only when they changed); ``status``: the queue, the workers and the latest failures, read from
the database (the bot may be stopped); ``doctor``: check what a first run needs (token, database,
ffmpeg, GPU, disk, models, signing), exit 0 only when all is in place; ``models list``: where each enabled
model's weights are and how large they are; ``models pull [MODEL...] [--keep-free GB]``: download them
ahead of the first start (resumable; ``HF_TOKEN`` for gated models)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import TOKEN_ENV, ConfigError, Settings, config_path, discord_token, load_settings
from bot.logs import configure_logging

NO_TOKEN = f"""\
{TOKEN_ENV} is not set, so the bot cannot log in to Discord.

Get a token:
  1. Open https://discord.com/developers/applications and create an application (or pick yours).
  2. Under "Bot", press "Reset Token" and copy it.
  3. Start the bot with it:  {TOKEN_ENV}=your-token python -m bot
The README's "Create the Discord application" section shows how to invite the bot to your server."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Discord /video bot")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "worker", "migrate", "sync", "status", "doctor", "models"],
    )
    parser.add_argument("action", nargs="?", help="for models: list or pull")
    parser.add_argument("models", nargs="*", help="for models pull: which (default: every enabled model)")
    parser.add_argument(
        "--keep-free",
        type=float,
        metavar="GB",
        help="for models pull: free disk a download must leave (default: [worker] keep_free_gb)",
    )
    parser.add_argument("--config", help="path to config.toml (default: $VIDEOBOT_CONFIG or ./config.toml)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings(config_path(args.config))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # The owner's commands print their own report: only warnings and errors are logged beside it.
    quiet = args.command in ("status", "doctor", "models") and settings.bot.log_level in ("DEBUG", "INFO")
    configure_logging("WARNING" if quiet else settings.bot.log_level, log_format=settings.bot.log_format)

    if args.command == "status":
        return asyncio.run(_status(settings))
    if args.command == "models":
        from bot.models_command import models_list, models_pull

        if args.action == "list" and not args.models:
            print(models_list(settings))
            return 0
        if args.action == "pull":
            keep_free = settings.worker.keep_free_gb if args.keep_free is None else args.keep_free
            return models_pull(settings, args.models, int(keep_free * 1000**3))
        print("usage: python -m bot models list | models pull [MODEL...] [--keep-free GB]", file=sys.stderr)
        return 2
    if args.models:
        parser.error(f"{args.command} takes no {' '.join(args.models)!r}")
    if args.action is not None:
        parser.error(f"{args.command} takes no {args.action!r}")
    token = discord_token()
    if args.command == "doctor":
        return asyncio.run(_doctor(settings, token))
    if args.command != "migrate" and token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    return asyncio.run(_run(settings, args.command, token))


async def _run(settings: Settings, command: str, token: str | None) -> int:
    # Imported here so that configuration and token errors are reported without loading torch.
    from bot.app import App

    app = App(settings)
    try:
        if command == "migrate":
            await app.migrate()
            print("database is up to date")
        elif command == "sync":
            assert token is not None
            await app.sync_commands(token)
            print("commands sent to Discord")
        elif command == "worker":
            assert token is not None
            await app.run_worker(token)
        else:
            assert token is not None
            await app.run_bot(token)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        await app.close()
    return 0


async def _doctor(settings: Settings, token: str | None) -> int:
    from bot.doctor import report, run_checks

    text, code = report(await run_checks(settings, token))
    print(text)
    return code


async def _status(settings: Settings) -> int:
    from bot.faults import is_store_outage
    from bot.status_report import report
    from bot.store.base import utcnow
    from bot.store.engine import create_engine
    from bot.store.overview import OverviewStore
    from generation.explained import first_line

    engine = create_engine(settings.database.url)
    try:
        overview = await OverviewStore(engine).overview()
    except Exception as exc:
        why = "cannot be reached" if is_store_outage(exc) else "cannot be read (is it migrated?)"
        print(f"error: the database {why}: {first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(report(overview, utcnow()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
