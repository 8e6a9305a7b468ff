import io
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.i18n import tr
from generation.images import MAX_IMAGE_BYTES, ImageRejectedError, fit_image, load_image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous picture: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def test_a_real_png_is_read_as_rgb() -> None:
    image = load_image(_png(Image.new("RGBA", (40, 30), (255, 0, 0, 128))))
    assert image.mode == "RGB" and image.size == (40, 30)
    # Transparency is flattened onto white, not black.
    assert image.getpixel((0, 0))[1] > 100


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a" + b"\0" * 10, "could not be read"),
        (b"%PDF-1.4 not an image", "could not be read"),
        (b"MZ\x90\x00 a program renamed to cat.png", "could not be read"),
        (_png_header_claiming(20_000, 20_000), "megapixels|too large"),
        (b"\0" * (MAX_IMAGE_BYTES + 1), "larger than"),
    ],
)
def test_non_images_oversized_files_and_bombs_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejectedError, match=reason):
        load_image(data)


def test_images_in_other_formats_are_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="TIFF")
    with pytest.raises(ImageRejectedError, match="PNG, JPEG"):
        load_image(out.getvalue())


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes) -> None:
    try:
        image = load_image(data)
    except ImageRejectedError:
        return
    assert image.mode == "RGB"


@given(
    st.integers(1, 600), st.integers(1, 600), st.sampled_from([(768, 512), (512, 768), (64, 64), (1024, 576)])
)
@settings(max_examples=30, deadline=None)
def test_fitting_gives_exactly_the_frame_size(w: int, h: int, size: tuple[int, int]) -> None:
    assert fit_image(Image.new("RGB", (w, h)), *size).size == size


def test_a_refusal_keeps_its_message_unfilled_for_translation() -> None:
    with pytest.raises(ImageRejectedError) as refused:
        load_image(b"x" * (MAX_IMAGE_BYTES + 1))
    assert str(refused.value) == "The image is larger than 20 MB."
    assert refused.value.template.format_map(refused.value.values) == str(refused.value)
    assert tr("fr", refused.value.template, **refused.value.values) == "L’image dépasse 20 Mo."
