"""The cryptography of signing in, behind the ports of the accounts service: argon2id password
hashes (argon2-cffi), TOTP one-time codes (pyotp, RFC 6238) and Ed25519-signed tokens (PyJWT
with cryptography). Routing alone holds the private key; every service verifies with the
public one (:mod:`giaitrinh_common.auth`)."""
from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from giaitrinh_common.auth import ALGORITHM


class Argon2Passwords:
    """argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile: 64 MiB,
    3 passes), which also say when a stored hash is weaker than today's and needs redoing."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


class TotpCodes:
    """Six-digit codes every 30 seconds (RFC 6238), as phone authenticator apps make them."""

    STEP = 30

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def provisioning_uri(self, secret: str, login: str, issuer: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)

    def code_at(self, secret: str, at: datetime) -> str:
        return pyotp.TOTP(secret).at(at)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step of ``code`` if it is the code of the step at ``at`` or of the one
        before or after (a phone's clock drifts, a person types slowly); else None."""
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return None
        totp = pyotp.TOTP(secret)
        step = int(at.timestamp()) // self.STEP
        for candidate in (step - 1, step, step + 1):
            if hmac.compare_digest(totp.generate_otp(candidate), code):
                return candidate
        return None


def digest(secret: str) -> str:
    """What is stored of a session secret or an API key: both are 256 random bits, so one
    SHA-256 suffices (a slow hash protects guessable secrets, such as passwords)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Ed25519Signer:
    """Signs token claims with the private key at ``private_key_path`` (read on first use)."""

    def __init__(self, private_key_path: str | Path):
        self.path = Path(private_key_path)
        self._key: Ed25519PrivateKey | None = None
        self._kid = ""

    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{self.path} is not an Ed25519 private key")
            self._key, self._kid = loaded, key_id(loaded)
        return self._key

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.key()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": self._kid})


def key_id(key: Ed25519PrivateKey) -> str:
    """The public key's fingerprint (first 16 hex digits of SHA-256 of its DER form), so that
    a verifier can tell which key signed once keys are rotated."""
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def generate_signing_keys(private_path: str | Path, public_path: str | Path, *,
                          replace: bool = False) -> bool:
    """Write a new Ed25519 key pair (the private key readable by its owner only, 0600);
    return False and leave both alone when the private key exists and ``replace`` is not set
    (the public key is then written again from it if it is missing)."""
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.exists() and not replace:
        if not public_path.exists():
            _write_public(serialization.load_pem_private_key(private_path.read_bytes(), password=None),
                          public_path)
        return False
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = private_path.with_name(private_path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(tmp, 0o600)
    os.replace(tmp, private_path)
    _write_public(key, public_path)
    return True


def _write_public(key: Any, public_path: Path) -> None:
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    os.chmod(public_path, 0o644)
