"""``python -m bot doctor``: is everything a first run needs in place? One line per check, ✓ or ✗ (with
the fix), or ! for what works but will disappoint (no GPU, a model still to download).

It reads: Discord's API (the token, the application, its commands), the database, ffmpeg, the GPU, the
disk and the model cache, and the signing credentials. It never downloads, migrates or registers anything.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiohttp

from bot.config import TOKEN_ENV, Settings
from bot.models_command import enabled_references
from generation.explained import first_line

Status = Literal["ok", "warn", "fail"]
MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗"}
GB = 1000**3
# What the bot needs in a channel: View Channels, Send Messages, Embed Links, Attach Files, Read Message
# History (the same list /video checks before queuing).
INVITE_PERMISSIONS = 1024 | 2048 | 16384 | 32768 | 65536
# Free space kept for clips waiting to be posted, beside the models.
CLIP_SPACE = 2 * GB
HTTP_SECONDS = 10.0


@dataclass(frozen=True)
class Check:
    label: str
    status: Status
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        head = f"{MARKS[self.status]} {self.label}: {self.detail}"
        return [head, f"    → {self.fix}"] if self.fix and self.status != "ok" else [head]


def report(checks: Iterable[Check]) -> tuple[str, int]:
    """The printout and the exit code: 0 only when nothing failed."""
    checks = list(checks)
    lines = [line for check in checks for line in check.lines()]
    failed = sum(check.status == "fail" for check in checks)
    warned = sum(check.status == "warn" for check in checks)
    if failed:
        lines.append(f"{failed} problem(s) to fix before the first run.")
    else:
        lines.append("Ready for a first run." + (f" ({warned} warning(s) above.)" if warned else ""))
    return "\n".join(lines), 1 if failed else 0


async def run_checks(settings: Settings, token: str | None) -> list[Check]:
    checks = await discord_checks(settings, token)
    checks.append(await database_check(settings))
    checks.append(await asyncio.to_thread(ffmpeg_check))
    model_checks, to_fetch = await asyncio.to_thread(models_checks, settings)
    checks.append(await asyncio.to_thread(gpu_check, settings))
    checks += model_checks
    checks += await asyncio.to_thread(disk_checks, settings, to_fetch)
    checks.append(await asyncio.to_thread(signing_check, settings))
    return checks


# -- Discord -------------------------------------------------------------------------------------------
async def discord_checks(settings: Settings, token: str | None) -> list[Check]:
    if not token:
        return [
            Check(
                "Discord token",
                "fail",
                f"{TOKEN_ENV} is not set",
                "Developer portal → your application → Bot → Reset Token; then "
                f"{TOKEN_ENV}=the-token python -m bot doctor",
            )
        ]
    base = settings.discord.api_base.rstrip("/")
    headers = {"Authorization": f"Bot {token}"}
    timeout = aiohttp.ClientTimeout(total=HTTP_SECONDS)
    try:
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            status, me = await _get(session, f"{base}/users/@me")
            if status == 401:
                return [
                    Check(
                        "Discord token",
                        "fail",
                        "Discord refused it (401 Unauthorized)",
                        "Developer portal → your application → Bot → Reset Token, and set the new one in "
                        f"{TOKEN_ENV}",
                    )
                ]
            if status != 200:
                return [Check("Discord token", "fail", f"{base}/users/@me answered HTTP {status}", _REACH)]
            checks = [Check("Discord token", "ok", f"logs in as {me.get('username')} (id {me.get('id')})")]
            status, application = await _get(session, f"{base}/oauth2/applications/@me")
            if status != 200:
                checks.append(Check("Application", "fail", f"HTTP {status} for the application", _REACH))
                return checks
            app_id = str(application.get("id"))
            invite = (
                f"https://discord.com/oauth2/authorize?client_id={app_id}"
                f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}"
            )
            checks.append(Check("Application", "ok", f"id {app_id}; invite the bot with {invite}"))
            checks.append(await _commands_check(session, base, app_id, settings.discord.command_guilds))
            return checks
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [
            Check("Discord", "fail", f"cannot reach {base}: {first_line(exc) or type(exc).__name__}", _REACH)
        ]


_REACH = "check this machine's internet access (and [discord] api_base, if you changed it)"


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        body = await response.json(content_type=None) if response.status == 200 else None
        return response.status, body


async def _commands_check(session: aiohttp.ClientSession, base: str, app_id: str, guilds: list[int]) -> Check:
    scopes = [(f"server {g}", f"{base}/applications/{app_id}/guilds/{g}/commands") for g in guilds] or [
        ("global", f"{base}/applications/{app_id}/commands")
    ]
    found = []
    for scope, url in scopes:
        status, commands = await _get(session, url)
        if status != 200:
            return Check("Slash commands", "fail", f"HTTP {status} listing the {scope} commands", _REACH)
        names = sorted(str(c.get("name")) for c in commands or [])
        if not names:
            return Check(
                "Slash commands",
                "fail",
                f"none registered ({scope})",
                "start the bot once (it registers them), or run python -m bot sync",
            )
        found.append(f"{scope}: /{', /'.join(names)}")
    return Check("Slash commands", "ok", "; ".join(found))


# -- the database -------------------------------------------------------------------------------------
async def database_check(settings: Settings) -> Check:
    from bot.store.engine import create_engine, sqlite_file
    from bot.store.migrate import current_revision, head_revision

    url = settings.database.url
    file = sqlite_file(url)
    if file is not None and not await asyncio.to_thread(file.exists):
        return Check("Database", "ok", f"SQLite; the bot creates {file} when it starts")
    engine = create_engine(url)
    try:
        current = await asyncio.wait_for(current_revision(engine), HTTP_SECONDS)
    except Exception as exc:
        where = settings.database.url.split("@")[-1]  # never the password
        return Check(
            "Database",
            "fail",
            f"cannot reach {where}: {first_line(exc) or type(exc).__name__}",
            "start the database, or fix [database] url (VIDEOBOT_DATABASE__URL)",
        )
    finally:
        await engine.dispose()
    head = head_revision()
    if current == head:
        return Check("Database", "ok", f"reachable, migrated to the latest revision ({head})")
    if current is None or current < head:
        state = "empty" if current is None else f"at revision {current}"
        return Check("Database", "ok", f"reachable, {state}; the bot migrates it to {head} when it starts")
    return Check(
        "Database",
        "fail",
        f"at revision {current}, newer than this version of the bot ({head})",
        "run the newer version of the bot, or restore a backup made for this one",
    )


# -- ffmpeg --------------------------------------------------------------------------------------------
def ffmpeg_check() -> Check:
    from generation.ffmpeg_binary import ffmpeg_executable

    fix = "install ffmpeg (apt install ffmpeg), or put one with libx264 and aac on PATH"
    try:
        executable = ffmpeg_executable()
        encoders = subprocess.run(
            [executable, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return Check("ffmpeg", "fail", f"not usable: {first_line(exc) or type(exc).__name__}", fix)
    missing = [name for name in ("libx264", "aac") if f" {name} " not in encoders]
    if missing:
        return Check("ffmpeg", "fail", f"{executable} has no {' or '.join(missing)} encoder", fix)
    return Check("ffmpeg", "ok", f"{executable} (libx264, aac)")


# -- GPU, models, disk ---------------------------------------------------------------------------------
def gpu_check(settings: Settings) -> Check:
    from generation.device import gpu_report

    device = settings.generation.device
    if device == "cpu":
        return Check("GPU", "ok", "not used ([generation] device = cpu)")
    gpus, driver = gpu_report()
    if not gpus:
        status: Status = "fail" if device.startswith("cuda") else "warn"
        return Check(
            "GPU",
            status,
            "no CUDA GPU is visible" + (f" (driver {driver})" if driver else " (no NVIDIA driver found)"),
            "install the NVIDIA driver (and, in Docker, run with --gpus all); without a GPU, clips render "
            "on the CPU, very slowly",
        )
    cards = ", ".join(f"{g.index}: {g.name}, {g.free / GB:.1f} of {g.total / GB:.1f} GB free" for g in gpus)
    return Check("GPU", "ok", f"driver {driver or 'unknown'}; {cards}")


def models_checks(settings: Settings) -> tuple[list[Check], int]:
    """One line per enabled model (where its weights are, and its memory plan on this GPU), and the bytes
    first start would still download."""
    from generation import RenderOverrides
    from generation.hub_cache import model_files
    from generation.presets import ModelResolutionError, resolve_model

    checks, to_fetch = [], 0
    for reference in enabled_references(settings):
        try:
            preset = resolve_model(reference, RenderOverrides())
        except ModelResolutionError as exc:
            checks.append(Check(f"Model {reference}", "fail", str(exc), "fix [generation] in config.toml"))
            continue
        files = model_files(preset)
        to_fetch += files.still_to_fetch
        size = f"{files.download / GB:.1f} GB" if files.download else "size not published"
        detail = {
            "local": f"local directory, {files.on_disk / GB:.2f} GB",
            "cached": f"downloaded ({files.on_disk / GB:.1f} GB in the Hugging Face cache)",
            "partial": f"partly downloaded ({files.on_disk / GB:.1f} GB of {size})",
            "missing": f"not downloaded yet ({size})",
        }[files.state]
        plan = _plan_line(preset, settings)
        status: Status = "ok" if files.state in ("local", "cached") else "warn"
        fix = "the worker downloads it when it first starts (see the disk check for room)"
        checks.append(Check(f"Model {preset.name}", status, detail + (f"; {plan}" if plan else ""), fix))
    return checks, to_fetch


def _plan_line(preset: Any, settings: Settings) -> str:
    """How the model would fit the first GPU (the memory planner), if there is one and it is published."""
    from generation.device import gpu_report
    from generation.memory import MemoryOptions, footprint_of, plan
    from generation.planning import largest_clip

    if preset.architecture is None or settings.generation.device == "cpu":
        return ""
    gpus, _ = gpu_report()
    if not gpus:
        return ""
    g = settings.generation
    options = MemoryOptions(
        profile=g.memory, vae_tiling={"auto": None, "on": True, "off": False}[g.vae_tiling], fp8=g.fp8
    )
    chosen = plan(footprint_of(preset.architecture, fp8=g.fp8), largest_clip(preset), gpus[0].free, options)
    return f"on GPU 0: {chosen.profile.value} ({chosen.reason})"


def disk_checks(settings: Settings, to_fetch: int) -> list[Check]:
    """Free space for what the first start downloads and for clips, per filesystem (they may share one)."""
    from generation.hub_cache import existing_parent, hub_cache_dir

    places = [
        ("model downloads", existing_parent(hub_cache_dir()), to_fetch),
        ("clips", existing_parent(Path(settings.worker.clip_dir)), CLIP_SPACE),
    ]
    by_filesystem: dict[int, list[tuple[str, Path, int]]] = {}
    for place in places:
        by_filesystem.setdefault(place[1].stat().st_dev, []).append(place)
    checks = []
    for group in by_filesystem.values():
        what, where = " and ".join(name for name, _, _ in group), group[0][1]
        needed = sum(bytes_ for _, _, bytes_ in group)
        free = shutil.disk_usage(where).free
        detail = f"{free / GB:.1f} GB free at {where}, {needed / GB:.1f} GB needed"
        if free < needed:
            short = (needed - free) / GB
            fix = f"free {short:.1f} GB there, or move it (HF_HOME for models, [worker] clip_dir)"
            checks.append(Check(f"Disk for {what}", "fail", detail, fix))
        else:
            checks.append(Check(f"Disk for {what}", "ok", detail))
    return checks


# -- signing -------------------------------------------------------------------------------------------
def signing_check(settings: Settings) -> Check:
    from generation.hub_cache import existing_parent
    from generation.provenance import ProvenanceError, load_signing_credentials

    p = settings.provenance
    if p.certificate:
        try:
            load_signing_credentials(Path(p.certificate), Path(p.private_key))
        except ProvenanceError as exc:
            return Check(
                "Content Credentials", "fail", str(exc), "fix [provenance] certificate and private_key"
            )
        return Check("Content Credentials", "ok", f"signing with your certificate {p.certificate}")
    directory = existing_parent(Path(p.directory))
    if Path(p.directory).expanduser().is_dir():
        return Check("Content Credentials", "ok", f"signing with the bot's own chain in {p.directory}")
    if not os.access(directory, os.W_OK):
        return Check(
            "Content Credentials",
            "fail",
            f"cannot create the signing chain in {p.directory} ({directory} is not writable)",
            "make it writable, or set [provenance] directory",
        )
    return Check(
        "Content Credentials", "ok", f"the bot makes its own signing chain in {p.directory} at first start"
    )
