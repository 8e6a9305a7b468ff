"""``python -m generation``: list and plan models, build tiny pipelines, render clips locally (no Discord)."""

from __future__ import annotations

import argparse
import logging
import math
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from generation.families import FAMILIES
from generation.memory import GIB, MemoryOptions, Profile
from generation.planning import CARD_SIZES_GIB, largest_clip, plan_preset, preset_clip
from generation.presets import ALIASES, DEFAULT_PRESET, PRESETS, ModelPreset, ModelResolutionError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # Discord's default upload limit
DEFAULT_SIGNING_DIR = "data/provenance"  # the bot's own default ([provenance] directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    tiny = sub.add_parser("make-tiny", help="write a tiny random-weight pipeline (offline, for tests)")
    tiny.add_argument("directory")
    tiny.add_argument("--family", choices=sorted(FAMILIES), required=True)

    render = sub.add_parser("render", help="render one clip to an MP4 (or GIF) file, signed")
    render.add_argument("prompt")
    render.add_argument(
        "--model", default=DEFAULT_PRESET, help=f"preset ({', '.join(PRESETS)}), dir or Hub id"
    )
    render.add_argument("-o", "--output", required=True)
    render.add_argument("--seed", type=_seed, default=None, help="0 to 4294967295 (default: random)")
    render.add_argument("--negative", default=None)
    render.add_argument("--image", default=None, help="a first frame to animate (image-to-video models)")
    render.add_argument("--device", default="auto")
    render.add_argument("--max-bytes", type=_max_bytes, default=DEFAULT_MAX_BYTES)
    render.add_argument(
        "--fps", type=_positive_int, default=None, help="raise the frame rate to this by interpolation"
    )
    render.add_argument("--silent", action="store_true", help="leave out the sound of models that make it")
    render.add_argument("--gif", action="store_true", help="write a looping GIF (silent, 6 s at most)")
    render.add_argument(
        "--signing-dir", default=DEFAULT_SIGNING_DIR, help="where the Content Credentials chain is kept"
    )

    presets = sub.add_parser("presets", help="list the model presets: size, download, memory, legacy")
    presets.add_argument("--markdown", action="store_true", help="as the README's table")

    plan = sub.add_parser("plan", help="the memory profile a card would use for a model, and why")
    plan.add_argument("model", nargs="?", help="a preset name (all presets with --table)")
    plan.add_argument(
        "--vram", type=_positive_float, help="the card's memory in GB as sold (24 for an RTX 4090)"
    )
    plan.add_argument("--width", type=_positive_int)
    plan.add_argument("--height", type=_positive_int)
    plan.add_argument("--frames", type=_positive_int)
    plan.add_argument("--fp8", action="store_true", help="store the denoiser's weights in fp8")
    plan.add_argument(
        "--table", action="store_true", help=f"every preset on {CARD_SIZES_GIB} GB, as markdown"
    )

    download = sub.add_parser(
        "download",
        help="fetch a model's missing files, printing progress as JSON lines (the bot's worker runs this; "
        "owners use python -m bot models pull)",
    )
    download.add_argument("model", help="a preset name or a Hub id")
    download.add_argument("--keep-free", type=int, default=0, help="bytes of free disk to keep (default 0)")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "make-tiny":
        from generation.tiny import make_tiny

        print(make_tiny(args.directory, args.family))
        return 0
    if args.command == "presets":
        print(presets_table(args.markdown))
        return 0
    if args.command == "plan":
        return _plan(parser, args)
    if args.command == "download":
        from generation.download import download_reporting_json

        return download_reporting_json(args.model, args.keep_free, sys.stdout)
    return _render(args)


def presets_table(markdown: bool = False) -> str:
    header = ("preset", "params", "download", "VRAM full", "smallest card", "legacy", "clip")
    rows = []
    for preset in PRESETS.values():
        arch = preset.architecture
        assert arch is not None, f"{preset.name} has no architecture"
        fits = [gib for gib in CARD_SIZES_GIB if plan_preset(preset, gib).fits]
        d = preset.defaults
        rows.append(
            (
                preset.name + (" (default)" if preset.name == DEFAULT_PRESET else ""),
                f"{arch.params / 1e9:.1f}B",
                f"{arch.download_bytes / 1e9:.1f} GB",
                f"{plan_preset(preset, 10_000).peak_bytes / GIB:.0f} GiB",
                f"{fits[0]} GB" if fits else "none listed",
                "legacy" if preset.legacy else "",
                f"{d.width}x{d.height}, {d.num_frames} frames at {d.fps} fps, {d.steps} steps",
            )
        )
    return _table(header, rows, markdown)


def plan_table() -> str:
    """Each preset's profile on each card size, as the README shows it (the bot plans the same way)."""
    header = ("preset", *(f"{gib} GB" for gib in CARD_SIZES_GIB))
    rows = []
    for preset in PRESETS.values():
        cells = []
        for gib in CARD_SIZES_GIB:
            plan = plan_preset(preset, gib)
            tiles = " +tiles" if plan.vae_tiling else ""
            cells.append(
                f"{plan.profile}{tiles} {plan.peak_bytes / GIB:.0f}" if plan.fits else "does not fit"
            )
        rows.append((preset.name, *cells))
    return _table(header, rows, markdown=True)


def profile_table() -> str:
    """Each preset's expected peak under each memory profile (longest clip, tiled decoding), in GiB."""
    from generation.memory import footprint_of, profile_peaks

    profiles = list(Profile)
    header = ("preset", *(str(p) for p in profiles))
    rows = []
    for preset in PRESETS.values():
        assert preset.architecture is not None
        peaks = profile_peaks(footprint_of(preset.architecture), largest_clip(preset), tiled=True)
        rows.append((preset.name, *(f"{peaks[p] / GIB:.1f}" for p in profiles)))
    return _table(header, rows, markdown=True)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in (header, *rows)
    )


def _plan(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.table:
        print(plan_table())
        print()
        print(profile_table())
        return 0
    if args.model is None or args.vram is None:
        parser.error("plan needs a MODEL and --vram GB (or --table)")
    name = ALIASES.get(args.model, args.model)
    if name not in PRESETS:
        print(f"error: {args.model!r} is not a preset ({', '.join(PRESETS)})", file=sys.stderr)
        return 2
    preset: ModelPreset = PRESETS[name]
    if args.width or args.height or args.frames:
        clip = preset_clip(preset, args.width, args.height, args.frames)
    else:
        clip = largest_clip(preset)
    plan = plan_preset(preset, args.vram, clip, MemoryOptions(fp8=args.fp8))
    print(f"{preset.name} on a {args.vram:g} GB card, {clip.width}x{clip.height}, {clip.frames} frames:")
    print(f"  profile: {plan.profile}{', VAE tiling' if plan.vae_tiling else ''}")
    print(f"  expected peak: {plan.peak_bytes / GIB:.1f} GiB")
    print(f"  reason: {plan.reason}")
    return 0 if plan.fits else 1


def _render(args: argparse.Namespace) -> int:
    """Render, encode and sign one clip; bad input and known failures are one line on stderr, exit 2."""
    from generation.encode import ClipTooLargeError
    from generation.generator import RenderInputError
    from generation.images import ImageRejectedError
    from generation.provenance import ProvenanceError

    try:
        return _render_checked(args)
    except (ModelResolutionError, ProvenanceError, ClipTooLargeError, RenderInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ImageRejectedError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _render_checked(args: argparse.Namespace) -> int:
    from generation.generator import RenderRequest, VideoGenerator
    from generation.gif import MAX_GIF_SECONDS
    from generation.images import load_image
    from generation.output import ClipFile, write_clip
    from generation.provenance import ClipFacts, ensure_signing_chain

    # Everything that can be checked is checked before the model loads and renders.
    output = Path(args.output)
    if not output.parent.is_dir():
        raise OSError(f"the folder of {output} does not exist")
    image = load_image(Path(args.image).read_bytes()) if args.image else None
    generator = VideoGenerator(args.model, device=args.device)
    preset = generator.preset
    if preset.family.needs_image and image is None:
        raise ModelResolutionError(f"{preset.name} animates an image: give one with --image")
    credentials = ensure_signing_chain(Path(args.signing_dir))
    frames = None
    if args.gif:
        frames = preset.family.frames_within(preset.defaults.num_frames, preset.defaults.fps, MAX_GIF_SECONDS)

    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    started = time.perf_counter()
    request = RenderRequest(
        prompt=args.prompt,
        seed=seed,
        negative_prompt=args.negative,
        image=image,
        num_frames=frames,
        fps=None if args.gif else args.fps,
        sound=not (args.silent or args.gif),
    )
    clip = generator.render(request)
    facts = ClipFacts(model=clip.model, seed=seed, prompt=args.prompt, negative_prompt=args.negative)
    out = ClipFile(clip.frames, clip.fps, facts, clip.audio, "gif" if args.gif else "mp4")
    encoded = write_clip(out, output, args.max_bytes, credentials)
    sound = (
        f", sound {clip.audio.channels} ch {clip.audio.sample_rate} Hz"
        if encoded.has_audio and clip.audio
        else ""
    )
    print(
        f"{encoded.path}: {encoded.num_frames} frames {encoded.width}x{encoded.height} @ {encoded.fps} fps"
        f"{sound}, {encoded.size_bytes} bytes, signed, seed {seed}, {time.perf_counter() - started:.1f}s"
    )
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError("the seed is a whole number from 0 to 4294967295")
    return value


def _max_bytes(text: str) -> int:
    from generation.provenance import SIGNATURE_RESERVE_BYTES

    value = int(text)
    if value <= SIGNATURE_RESERVE_BYTES + 10_000:
        raise argparse.ArgumentTypeError(
            f"{value} bytes leave no room for a clip and its {SIGNATURE_RESERVE_BYTES}-byte credentials"
        )
    return value


if __name__ == "__main__":
    sys.exit(main())
