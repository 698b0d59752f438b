"""Field encryption for citizen ID and phone, keyed hashes for look-ups, and masking for screens.

AES-256-GCM (authenticated) with a key derived from SECRET_KEY by HKDF; a second HKDF key
feeds HMAC-SHA256 so equal values can be found without decrypting every row.
Ciphertext layout: version byte | 12-byte nonce | ciphertext+tag.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = 1
MIN_SECRET_KEY_LENGTH = 32


class DecryptionError(Exception):
    pass


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sotay-v1", info=purpose).derive(secret)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. "media-links"), derived from the app's secret by HKDF:
    a key leaked from one use reveals neither the secret nor the other uses' keys."""
    return _derive(secret, purpose.encode())


class FieldCipher:
    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
        secret = secret_key.encode()
        self._aead = AESGCM(_derive(secret, b"field-encryption"))
        self._hash_key = _derive(secret, b"lookup-hash")

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        # The context (field name) is authenticated, so a phone ciphertext cannot pose as a citizen ID.
        nonce = os.urandom(12)
        return bytes([_VERSION]) + nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> str:
        if not blob or blob[0] != _VERSION:
            raise DecryptionError("unknown ciphertext version")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], context.encode()).decode()
        except Exception as exc:  # InvalidTag and friends: never leak details
            raise DecryptionError("ciphertext does not authenticate") from exc

    def lookup_hash(self, value: str, *, context: str) -> str:
        return hmac.new(self._hash_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


def hash_secret_token(token: str) -> str:
    """Invite codes and API tokens are high-entropy random strings: a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask_citizen_id(value: str) -> str:
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_phone(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]
