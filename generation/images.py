"""Reading untrusted images safely and fitting them to a model's frame size."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from generation.explained import ExplainedError

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP"})


class ImageRejectedError(ExplainedError):
    """The file is not an image this bot will use; the message says why, politely."""


def load_image(data: bytes) -> Image.Image:
    """Decode ``data`` as an RGB image, refusing non-images, oversized files and decompression bombs.

    The format is read from the content, never from a file name, and the pixel count is checked before any
    pixel is decoded.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError(
            "The image is larger than {limit} MB.", limit=MAX_IMAGE_BYTES // (1024 * 1024)
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ImageRejectedError("That file is not a PNG, JPEG, WebP, GIF or BMP image.")
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageRejectedError(
                    "The image is {width}x{height}; please use one of at most {limit} megapixels.",
                    width=width,
                    height=height,
                    limit=MAX_IMAGE_PIXELS // 1_000_000,
                )
            probe.load()
    except ImageRejectedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejectedError("The image is too large to open safely.") from exc
    except Exception as exc:
        raise ImageRejectedError("That file could not be read as an image.") from exc
    image = ImageOps.exif_transpose(probe)
    if image.mode != "RGB":
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image


def fit_image(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop to exactly width x height, keeping the aspect ratio of what remains."""
    return ImageOps.fit(image.convert("RGB"), (width, height), method=Image.Resampling.LANCZOS)


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
