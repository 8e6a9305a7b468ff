import datetime as dt
import stat
import struct
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from PIL import Image

from generation.encode import encode_mp4
from generation.gif import encode_gif
from generation.provenance import (
    SIGNATURE_RESERVE_BYTES,
    ClipFacts,
    ProvenanceError,
    ensure_signing_chain,
    load_signing_credentials,
    read_manifest,
    sign_clip,
)
from tests.certificates import PrivateKey, issue, key_pem, owner_chain, pem
from tests.conftest import ffprobe

TRICKY_PROMPT = (
    'A **bold** "quoted" `cat` — naïve café, 日本語, \U0001f408\u200d\u2b1b <b>&amp;</b> \\ and\na newline'
)
FACTS = ClipFacts(
    model="Wan-AI/Wan2.1-T2V-1.3B", seed=1234567890123, prompt=TRICKY_PROMPT, negative_prompt="blur"
)


def _frames(n: int, side: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, side, side, 3), dtype=np.uint8)


def _mp4(directory: Path, frames: int = 12) -> Path:
    return encode_mp4(_frames(frames, 64), 12, directory / "clip.mp4", 10**8).path


def _gif(directory: Path) -> Path:
    return encode_gif(
        _frames(10, 48), 10, directory / "clip.gif", 10**8, comment="AI-generated. Seed: 1"
    ).path


def _mdat_middle(data: bytes) -> int:
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        if kind == b"mdat":
            return offset + header + (size - header) // 2
        offset += size
    raise AssertionError("no mdat box")


def _video(path: Path) -> dict[str, object]:
    (video,) = [s for s in ffprobe(path)["streams"] if s["codec_type"] == "video"]
    keys = (
        "codec_name",
        "profile",
        "pix_fmt",
        "width",
        "height",
        "r_frame_rate",
        "nb_frames",
        "nb_read_frames",
    )
    return {k: video.get(k) for k in keys}


def test_chain_is_created_private_and_reused(tmp_path: Path) -> None:
    directory = tmp_path / "c2pa"
    first = ensure_signing_chain(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "signing.key").stat().st_mode) == 0o600
    assert sorted(p.name for p in directory.iterdir()) == [".lock", "root.pem", "signing.key", "signing.pem"]
    assert first.algorithm == "es256"
    assert (directory / "signing.pem").read_bytes() == first.certificate_chain_pem
    assert b"PRIVATE KEY" not in repr(first).encode()

    second = ensure_signing_chain(directory)
    assert second == first


def test_signing_certificate_has_the_usages_c2pa_requires(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path, organisation="Example Guild")
    (leaf,) = x509.load_pem_x509_certificates(credentials.certificate_chain_pem)
    root = x509.load_pem_x509_certificate((tmp_path / "root.pem").read_bytes())

    leaf.verify_directly_issued_by(root)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca is False
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=9 * 365)

    root_constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_constraints.critical and root_constraints.value.ca is True
    root_usage = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert root_usage.critical and root_usage.value.key_cert_sign and root_usage.value.crl_sign
    assert root.subject == root.issuer
    assert "Example Guild" in leaf.subject.rfc4514_string()


def test_signed_mp4_reads_back_as_ai_generated_and_still_plays(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    clip = _mp4(tmp_path)
    before, size_before = _video(clip), clip.stat().st_size

    size = sign_clip(clip, "video/mp4", FACTS, credentials)

    assert size == clip.stat().st_size
    assert size_before < size <= size_before + SIGNATURE_RESERVE_BYTES
    assert _video(clip) == before
    assert before["codec_name"] == "h264" and before["nb_read_frames"] == "12"
    summary = read_manifest(clip, "video/mp4")
    assert summary.ai_generated
    assert (summary.model, summary.seed, summary.prompt) == (FACTS.model, FACTS.seed, TRICKY_PROMPT)
    assert summary.negative_prompt == "blur"
    assert summary.validation_state == "Valid" and summary.intact
    assert summary.untrusted and "signingCredential.untrusted" in summary.validation_codes
    assert summary.signer_common_name == "videobot self-hosted signing"
    assert summary.signer_issuer == "videobot self-hosted"
    manifest = summary.raw["manifests"][summary.raw["active_manifest"]]
    assert manifest["claim_generator_info"][0]["name"] == "videobot"
    assert manifest["title"] == "clip.mp4"
    labels = [a["label"] for a in manifest["assertions"]]
    assert "org.videobot.generation" in labels and any(label.startswith("c2pa.actions") for label in labels)


def test_signed_gif_reads_back_as_ai_generated_and_still_opens(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    clip = _gif(tmp_path)
    with Image.open(clip) as gif:
        frames_before = [np.asarray(frame.convert("RGB")).copy() for frame in _each_frame(gif)]
    facts = ClipFacts(model="ltx", seed=0, prompt=TRICKY_PROMPT)

    size = sign_clip(clip, "image/gif", facts, credentials)

    assert size == clip.stat().st_size
    with Image.open(clip) as gif:
        assert gif.format == "GIF" and gif.n_frames == 10 and gif.info.get("loop") == 0
        assert gif.info.get("comment") == b"AI-generated. Seed: 1"
        frames_after = [np.asarray(frame.convert("RGB")).copy() for frame in _each_frame(gif)]
    assert all(np.array_equal(a, b) for a, b in zip(frames_before, frames_after, strict=True))
    summary = read_manifest(clip, "image/gif")
    assert summary.ai_generated and summary.intact
    assert (summary.model, summary.seed, summary.prompt, summary.negative_prompt) == (
        "ltx",
        0,
        TRICKY_PROMPT,
        None,
    )


def _each_frame(gif: Image.Image) -> list[Image.Image]:
    frames = []
    for index in range(getattr(gif, "n_frames", 1)):
        gif.seek(index)
        frames.append(gif.copy())
    return frames


def test_signing_keeps_the_file_mode_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    clip = _mp4(tmp_path)
    clip.chmod(0o640)
    sign_clip(clip, "video/mp4", FACTS, credentials)
    assert stat.S_IMODE(clip.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "keys"]


def test_home_made_root_is_trusted_by_a_reader_that_knows_it(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    clip = _mp4(tmp_path)
    sign_clip(clip, "video/mp4", FACTS, credentials)
    summary = read_manifest(
        clip, "video/mp4", trust_anchors_pem=(tmp_path / "keys" / "root.pem").read_bytes()
    )
    assert summary.validation_state == "Trusted" and not summary.untrusted and summary.intact

    stranger = ensure_signing_chain(tmp_path / "other")
    assert stranger != credentials
    other_root = (tmp_path / "other" / "root.pem").read_bytes()
    assert read_manifest(clip, "video/mp4", trust_anchors_pem=other_root).untrusted


@pytest.mark.parametrize(
    ("kind", "mime", "mismatch"),
    [
        ("mp4", "video/mp4", "assertion.bmffHash.mismatch"),
        ("gif", "image/gif", "assertion.dataHash.mismatch"),
    ],
)
def test_a_changed_picture_reads_as_invalid(tmp_path: Path, kind: str, mime: str, mismatch: str) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    clip = _mp4(tmp_path) if kind == "mp4" else _gif(tmp_path)
    sign_clip(clip, mime, FACTS, credentials)
    data = bytearray(clip.read_bytes())
    middle = _mdat_middle(data) if kind == "mp4" else len(data) * 3 // 4
    data[middle] ^= 0xFF
    clip.write_bytes(data)

    summary = read_manifest(clip, mime)
    assert summary.validation_state == "Invalid" and not summary.intact
    assert mismatch in summary.validation_codes
    assert summary.ai_generated and summary.prompt == TRICKY_PROMPT  # what it claims, though no longer true


@pytest.mark.parametrize(
    ("leaf_key", "algorithm"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "es256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "es384"),
        (lambda: ed25519.Ed25519PrivateKey.generate(), "ed25519"),
        (lambda: rsa.generate_private_key(65537, 2048), "ps256"),
    ],
    ids=["p256", "p384", "ed25519", "rsa"],
)
def test_owner_certificate_loads_and_signs(
    tmp_path: Path, leaf_key: Callable[[], PrivateKey], algorithm: str
) -> None:
    key = leaf_key()
    leaf, inter, root = owner_chain(key)
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(inter) + pem(root))
    # Traditional (non-PKCS8) PEM, as older tools write it; Ed25519 has only PKCS8.
    traditional = not isinstance(key, ed25519.Ed25519PrivateKey)
    key_format = (
        serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    )
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, key_format, serialization.NoEncryption())
    )

    credentials = load_signing_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")

    assert credentials.algorithm == algorithm
    assert x509.load_pem_x509_certificates(credentials.certificate_chain_pem) == [leaf, inter]
    assert credentials.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    clip = _mp4(tmp_path)
    sign_clip(clip, "video/mp4", FACTS, credentials)
    summary = read_manifest(clip, "video/mp4", trust_anchors_pem=pem(root))
    assert summary.validation_state == "Trusted" and summary.ai_generated
    assert summary.signer_common_name == "Owner Signer"
    assert summary.signer_issuer == "Owner Leaf Org"


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    leaf, inter, _ = owner_chain(ec.generate_private_key(ec.SECP256R1()))
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(inter))
    (tmp_path / "key.pem").write_bytes(key_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ProvenanceError, match="does not match"):
        load_signing_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_expired_owner_certificate_is_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    leaf, inter, _ = owner_chain(
        key, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(inter))
    (tmp_path / "key.pem").write_bytes(key_pem(key))
    with pytest.raises(ProvenanceError, match="expired"):
        load_signing_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_encrypted_owner_key_is_refused_clearly(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, inter, _ = owner_chain(key)
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(inter))
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"hunter2"),
    )
    (tmp_path / "key.pem").write_bytes(encrypted)
    with pytest.raises(ProvenanceError, match="encrypted"):
        load_signing_credentials(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_corrupt_key_file_is_an_error_that_does_not_quote_it(tmp_path: Path) -> None:
    ensure_signing_chain(tmp_path)
    key_file = tmp_path / "signing.key"
    lines = key_file.read_bytes().splitlines()
    corrupt = b"\n".join([lines[0], lines[1][:-8] + b"AAAAAAAA", *lines[2:]]) + b"\n"
    key_file.write_bytes(corrupt)

    with pytest.raises(ProvenanceError, match=r"signing\.key") as caught:
        ensure_signing_chain(tmp_path)

    shown = "".join(traceback.format_exception(caught.value))
    for line in corrupt.decode().splitlines()[1:-1]:
        assert line[:16] not in shown


def test_corrupt_certificate_is_an_error_naming_the_file(tmp_path: Path) -> None:
    ensure_signing_chain(tmp_path)
    (tmp_path / "signing.pem").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(ProvenanceError, match=r"signing\.pem"):
        ensure_signing_chain(tmp_path)


@pytest.mark.parametrize(("days_left", "replaced"), [(-3, True), (10, True), (60, False)])
def test_chain_that_has_expired_or_soon_will_is_replaced(
    tmp_path: Path, days_left: int, replaced: bool
) -> None:
    now = dt.datetime.now(dt.UTC)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = issue("old root", "old", root_key, None, ca=True, not_before=now - dt.timedelta(days=4000))
    leaf = issue(
        "old signing",
        "old",
        leaf_key,
        (root, root_key),
        ca=False,
        not_before=now - dt.timedelta(days=3650),
        not_after=now + dt.timedelta(days=days_left),
    )
    tmp_path.joinpath("root.pem").write_bytes(pem(root))
    tmp_path.joinpath("signing.pem").write_bytes(pem(leaf))
    tmp_path.joinpath("signing.key").write_bytes(key_pem(leaf_key))

    credentials = ensure_signing_chain(tmp_path)

    assert (credentials.certificate_chain_pem == pem(leaf)) is not replaced
    assert ((tmp_path / "root.pem").read_bytes() == pem(root)) is not replaced
    (current,) = x509.load_pem_x509_certificates((tmp_path / "signing.pem").read_bytes())
    assert current.not_valid_after_utc - now > dt.timedelta(days=30)
    if replaced:
        assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
        clip = _mp4(tmp_path)
        sign_clip(clip, "video/mp4", FACTS, credentials)
        assert read_manifest(clip, "video/mp4").intact


def test_reserve_covers_a_long_prompt_of_four_byte_characters(tmp_path: Path) -> None:
    credentials = ensure_signing_chain(tmp_path / "keys")
    long_text = "\U0001d11e" * 500
    facts = ClipFacts(model="m" * 64, seed=2**63 - 1, prompt=long_text, negative_prompt=long_text)
    for clip, mime in [(_mp4(tmp_path), "video/mp4"), (_gif(tmp_path), "image/gif")]:
        before = clip.stat().st_size
        assert sign_clip(clip, mime, facts, credentials) - before <= SIGNATURE_RESERVE_BYTES
        assert read_manifest(clip, mime).prompt == long_text


def test_unsigned_file_and_unsupported_format_are_clear_errors(tmp_path: Path) -> None:
    clip = _mp4(tmp_path)
    with pytest.raises(ProvenanceError, match="no Content Credentials"):
        read_manifest(clip, "video/mp4")
    with pytest.raises(ProvenanceError, match="cannot sign image/png"):
        sign_clip(clip, "image/png", FACTS, ensure_signing_chain(tmp_path / "keys"))


def test_workers_starting_together_share_one_chain(tmp_path: Path) -> None:
    """Several processes on one data directory: one makes the chain, every one signs with it."""
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from generation.provenance import ensure_signing_chain; "
        "sys.stdout.write(ensure_signing_chain(Path(sys.argv[1])).certificate_chain_pem.decode())"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "keys")], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = {p.communicate(timeout=60)[0] for p in procs}
    assert len(outputs) == 1
    assert ensure_signing_chain(tmp_path / "keys").certificate_chain_pem in outputs
