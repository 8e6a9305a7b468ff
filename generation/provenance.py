"""Content Credentials (C2PA) for every clip: signed offline as AI-generated, with its model, seed, prompt."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import importlib
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION_ASSERTION = "org.videobot.generation"
SUPPORTED_MIME_TYPES = frozenset({"video/mp4", "image/gif"})
UNTRUSTED = "signingCredential.untrusted"

# Most bytes signing adds to a clip, for encoders to hold back from the upload limit. Measured with
# c2pa-python 0.38.1 (c2pa-rs 0.91.3): MP4s of 50 kB to 10.2 MB and GIFs of 76 kB to 19.6 MB, a 43-character
# file name, a 64-character model name and a 500-character prompt of 4-byte characters grew by 5,281 bytes
# (MP4) and 5,196 (GIF) with ensure_signing_chain's chain, by 7,300 and 7,223 with a negative prompt like the
# prompt, and by 10,060 with that and an owner's RSA-4096 leaf and RSA-4096 intermediate. The growth does not
# depend on the clip's size; 16 KiB leaves room for a longer chain.
SIGNATURE_RESERVE_BYTES = 16_384

LEAF_VALIDITY = dt.timedelta(days=3650)
ROOT_VALIDITY = dt.timedelta(days=7300)
RENEW_BEFORE = dt.timedelta(days=30)

_PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

ROOT_CERT = "root.pem"
SIGNING_CERT = "signing.pem"
SIGNING_KEY = "signing.key"
LOCK_FILE = ".lock"


class ProvenanceError(Exception):
    """Content Credentials could not be made or read. Messages never contain key material."""


@dataclass(frozen=True)
class ClipFacts:
    model: str
    seed: int
    prompt: str
    negative_prompt: str | None = None
    software: str = "videobot"


@dataclass(frozen=True)
class SigningCredentials:
    certificate_chain_pem: bytes  # signing certificate first, then intermediates; never the root
    private_key_pem: bytes = field(repr=False)  # PKCS8
    algorithm: str = "es256"
    # When the signing certificate expires: signing after it is refused (an expired signer is worthless).
    not_after: dt.datetime | None = None


@dataclass(frozen=True)
class ManifestSummary:
    ai_generated: bool  # a c2pa.created action with digitalSourceType trainedAlgorithmicMedia
    model: str | None
    seed: int | None
    prompt: str | None
    negative_prompt: str | None
    signer_issuer: str | None
    signer_common_name: str | None
    validation_state: str  # "Invalid", "Valid" (intact, signer not trusted) or "Trusted"
    untrusted: bool  # the signing certificate does not lead to a trust anchor the reader knows
    validation_codes: tuple[str, ...]  # e.g. "assertion.bmffHash.mismatch" for a changed MP4
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def intact(self) -> bool:
        """The file is unchanged since it was signed (whoever signed it)."""
        return self.validation_state in ("Valid", "Trusted")


def ensure_signing_chain(
    directory: Path, *, organisation: str = "videobot self-hosted"
) -> SigningCredentials:
    """Load the bot's own signing chain from ``directory``; make one if there is none or it expires soon.

    The chain is a home-made root (``root.pem``, for verifiers who want to trust this bot) and a signing
    certificate (``signing.pem``) with its key (``signing.key``, 0600). The root's private key is discarded
    once the signing certificate is issued: kept beside the signing key it would add nothing for a renewal
    (a fresh chain is just as good) but would let anyone who copies the directory mint further signers.
    """
    cert_path, key_path = directory / SIGNING_CERT, directory / SIGNING_KEY
    # Workers sharing a data directory start together: one makes the chain, the others then load it (two
    # making one at once could leave one's key beside the other's certificate).
    with _locked(directory):
        if cert_path.exists():
            credentials, leaf = _load(cert_path, key_path)
            if leaf.not_valid_after_utc - _now() > RENEW_BEFORE:
                return credentials
            # signing.pem is written last, so removing it first leaves a half-renewed directory looking empty.
            cert_path.unlink(missing_ok=True)
        return _make_chain(directory, organisation)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(directory / LOCK_FILE, "a+b")  # noqa: SIM115 - held for the with block below
    except OSError as exc:
        raise ProvenanceError(
            f"cannot use {directory} for the signing chain: {exc.strerror or exc}"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_signing_credentials(certificate_path: Path, private_key_path: Path) -> SigningCredentials:
    """The owner's certificate chain (signing certificate first, PEM) and its unencrypted PEM private key."""
    credentials, leaf = _load(certificate_path, private_key_path)
    now = _now()
    if leaf.not_valid_after_utc <= now:
        raise ProvenanceError(
            f"certificate {certificate_path} expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
        )
    if leaf.not_valid_before_utc > now:
        raise ProvenanceError(
            f"certificate {certificate_path} is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}"
        )
    return credentials


def sign_clip(path: Path, mime: str, facts: ClipFacts, credentials: SigningCredentials) -> int:
    """Embed signed Content Credentials in the clip at ``path`` (replaced atomically); return its new size."""
    if mime not in SUPPORTED_MIME_TYPES:
        raise ProvenanceError(f"cannot sign {mime}: only {', '.join(sorted(SUPPORTED_MIME_TYPES))}")
    if credentials.not_after is not None and credentials.not_after <= _now():
        raise ProvenanceError(
            f"the signing certificate expired on {credentials.not_after:%Y-%m-%d %H:%M} UTC: "
            "configure a new one and restart"
        )
    c2pa = _c2pa()
    info = c2pa.C2paSignerInfo(
        alg=credentials.algorithm.encode(),
        sign_cert=credentials.certificate_chain_pem,
        private_key=credentials.private_key_pem,
        ta_url=None,
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".signing", dir=path.parent)
    try:
        # A thumbnail would add a re-encoded copy of a GIF (hundreds of kB) and a second to sign it.
        with (
            c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}}) as context,
            c2pa.Signer.from_info(info) as signer,
            c2pa.Builder(_manifest(path.name, mime, facts), context) as builder,
            open(path, "rb") as source,
            os.fdopen(fd, "w+b") as dest,
        ):
            builder.sign(signer, mime, source, dest)
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"signing {path.name} failed: {_redact(str(exc), credentials)}") from None
    except OSError as exc:
        raise ProvenanceError(f"signing {path.name} failed: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path.stat().st_size


def read_manifest(path: Path, mime: str, *, trust_anchors_pem: bytes | None = None) -> ManifestSummary:
    """Read and validate the Content Credentials in ``path``.

    Without ``trust_anchors_pem`` (root certificates, PEM) a home-made chain reads as "Valid" and untrusted;
    with its ``root.pem`` there it reads as "Trusted".
    """
    c2pa = _c2pa()
    settings = {"trust": {"trust_anchors": trust_anchors_pem.decode()}} if trust_anchors_pem else {}
    try:
        with (
            c2pa.Context.from_dict(settings) as context,
            open(path, "rb") as stream,
            c2pa.Reader(mime, stream, None, context) as reader,
        ):
            raw: dict[str, Any] = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        raise ProvenanceError(f"{path.name} carries no Content Credentials") from None
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"cannot read the Content Credentials of {path.name}: {exc}") from None
    except OSError as exc:
        raise ProvenanceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    manifest = raw.get("manifests", {}).get(raw.get("active_manifest"), {})
    assertions = {a.get("label"): a.get("data", {}) for a in manifest.get("assertions", [])}
    actions = [
        action
        for label in ("c2pa.actions", "c2pa.actions.v2")
        for action in assertions.get(label, {}).get("actions", [])
    ]
    generation = assertions.get(GENERATION_ASSERTION, {})
    signature = manifest.get("signature_info", {})
    codes = tuple(status["code"] for status in raw.get("validation_status", []))
    return ManifestSummary(
        ai_generated=any(
            a.get("action") == "c2pa.created" and a.get("digitalSourceType") == TRAINED_ALGORITHMIC_MEDIA
            for a in actions
        ),
        model=generation.get("model"),
        seed=generation.get("seed"),
        prompt=generation.get("prompt"),
        negative_prompt=generation.get("negative_prompt"),
        signer_issuer=signature.get("issuer"),
        signer_common_name=signature.get("common_name"),
        validation_state=raw.get("validation_state", "Invalid"),
        untrusted=UNTRUSTED in codes,
        validation_codes=codes,
        raw=raw,
    )


def _c2pa() -> ModuleType:
    # Imported on first use: the native library is 23 MB and most imports of generation never sign.
    return importlib.import_module("c2pa")


def _manifest(title: str, mime: str, facts: ClipFacts) -> dict[str, Any]:
    generation: dict[str, Any] = {"model": facts.model, "seed": facts.seed, "prompt": facts.prompt}
    if facts.negative_prompt:
        generation["negative_prompt"] = facts.negative_prompt
    return {
        "claim_generator_info": [{"name": facts.software, "version": _software_version()}],
        "title": title,
        "format": mime,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": facts.model},
                        }
                    ]
                },
            },
            {"label": GENERATION_ASSERTION, "data": generation},
        ],
    }


@functools.cache
def _software_version() -> str:
    try:
        return metadata.version("videobot")
    except metadata.PackageNotFoundError:
        return "unknown"


def _redact(message: str, credentials: SigningCredentials) -> str:
    """``message`` unless it quotes any line of the private key."""
    key_lines = [line for line in credentials.private_key_pem.decode(errors="replace").splitlines() if line]
    if "PRIVATE KEY" in message or any(line in message for line in key_lines if len(line) >= 16):
        return "the signing library's message quoted key material and was withheld"
    return message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _load(certificate_path: Path, private_key_path: Path) -> tuple[SigningCredentials, x509.Certificate]:
    chain = _load_certificates(certificate_path)
    key = _load_private_key(private_key_path)
    leaf = chain[0]
    if _public_der(leaf.public_key()) != _public_der(key.public_key()):
        raise ProvenanceError(
            f"the private key {private_key_path} does not match the first certificate in {certificate_path}"
        )
    # Verifiers take roots from their own trust lists, so a self-signed root at the end is dropped.
    intermediates = [c for c in chain[1:] if c.issuer != c.subject]
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [leaf, *intermediates])
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningCredentials(pem, pkcs8, _algorithm(key, private_key_path), leaf.not_valid_after_utc), leaf


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProvenanceError(f"cannot read {path}: {exc.strerror or exc}") from None


def _load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(_read(path))
    except ValueError:
        raise ProvenanceError(f"{path} is not a PEM certificate chain") from None
    if not chain:
        raise ProvenanceError(f"{path} holds no certificate")
    return chain


def _load_private_key(path: Path) -> _PrivateKey:
    data = _read(path)
    if re.search(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED", data):
        raise ProvenanceError(f"{path} is encrypted: give an unencrypted PEM private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The library's message is dropped: it is not ours to promise it never quotes the file.
        raise ProvenanceError(f"{path} is not a readable unencrypted PEM private key") from None
    if not isinstance(key, _PrivateKey):
        raise ProvenanceError(f"{path} holds a {type(key).__name__}: use an EC, Ed25519 or RSA key")
    return key


_CURVE_ALGORITHMS = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


def _algorithm(key: _PrivateKey, path: Path) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if key.curve.name not in _CURVE_ALGORITHMS:
        raise ProvenanceError(f"{path} is an EC key on {key.curve.name}: use P-256, P-384 or P-521")
    return _CURVE_ALGORITHMS[key.curve.name]


def _public_der(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _make_chain(directory: Path, organisation: str) -> SigningCredentials:
    now = _now()
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organisation} root", organisation)
    root = (
        _certificate(root_name, root_name, root_key.public_key(), now, ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    signing_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        _certificate(_name(f"{organisation} signing", organisation), root_name, signing_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)
    key_pem = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_atomically(directory / ROOT_CERT, root.public_bytes(serialization.Encoding.PEM), 0o644)
        _write_atomically(directory / SIGNING_KEY, key_pem, 0o600)
        _write_atomically(directory / SIGNING_CERT, leaf_pem, 0o644)
    except OSError as exc:
        raise ProvenanceError(
            f"cannot write the signing chain to {directory}: {exc.strerror or exc}"
        ) from None
    return SigningCredentials(leaf_pem, key_pem, "es256", leaf.not_valid_after_utc)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    validity: dt.timedelta = LEAF_VALIDITY,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # tolerate a verifier's clock running a little slow
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(
    *, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data``; the file has ``mode`` (less the umask) from its creation on."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
