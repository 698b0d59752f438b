"""Field encryption for citizen ID and phone, keyed hashes for look-ups, and masking for screens.

AES-256-GCM (authenticated) with a key derived from SECRET_KEY by HKDF; a second HKDF key
feeds HMAC-SHA256 so equal values can be found without decrypting every row.

Keys rotate (`sotay keys rotate`): a cipher writes with its primary key and reads with it and every
old key it was given. Ciphertext layout:
    version 2: 0x02 | 4-byte key id | 12-byte nonce | ciphertext+tag   (written now)
    version 1: 0x01 | 12-byte nonce | ciphertext+tag                   (before rotation existed;
               the key is found by trying each, which AES-GCM's tag makes safe)
A look-up hash is recomputed with the ciphertext, so a row's hash is under its ciphertext's key;
during a rotation look-ups try the hashes of every key (`lookup_hashes`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_LEGACY_VERSION = 1
_VERSION = 2
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
MIN_SECRET_KEY_LENGTH = 32


class DecryptionError(Exception):
    pass


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sotay-v1", info=purpose).derive(secret)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. "media-links"), derived from the app's secret by HKDF:
    a key leaked from one use reveals neither the secret nor the other uses' keys."""
    return _derive(secret, purpose.encode())


class _FieldKey:
    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
        secret = secret_key.encode()
        self.id = _derive(secret, b"key-id")[:_KEY_ID_BYTES]
        self.aead = AESGCM(_derive(secret, b"field-encryption"))
        self.hash_key = _derive(secret, b"lookup-hash")

    def lookup_hash(self, value: str, context: str) -> str:
        return hmac.new(self.hash_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


class FieldCipher:
    """Writes with `secret_key`; reads with it and with each of `old_keys` (a rotation in progress)."""

    def __init__(self, secret_key: str, *, old_keys: Sequence[str] = ()) -> None:
        self._primary = _FieldKey(secret_key)
        self._keys = [self._primary]
        for old in dict.fromkeys(old_keys):
            if old == secret_key:
                continue
            key = _FieldKey(old)
            if any(k.id == key.id for k in self._keys):
                raise ValueError("two keys share a key id; generate another key")
            self._keys.append(key)

    @property
    def key_id(self) -> str:
        """The primary key's id (hex): what `sotay keys status` shows and rotation audits."""
        return self._primary.id.hex()

    @property
    def rotating(self) -> bool:
        return len(self._keys) > 1

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        # The context (field name) is authenticated, so a phone ciphertext cannot pose as a citizen ID.
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._primary.aead.encrypt(nonce, plaintext.encode(), context.encode())
        return bytes([_VERSION]) + self._primary.id + nonce + ciphertext

    def decrypt(self, blob: bytes, *, context: str) -> str:
        return self._open(blob, context)[0]

    def key_id_of(self, blob: bytes) -> str | None:
        """The id of the key a ciphertext was written with; None for a version-1 one (no id)."""
        if blob and blob[0] == _VERSION and len(blob) > 1 + _KEY_ID_BYTES:
            return blob[1 : 1 + _KEY_ID_BYTES].hex()
        return None

    def is_current(self, blob: bytes | None) -> bool:
        """True when the blob needs no rotation: absent, or written with the primary key."""
        return blob is None or self.key_id_of(blob) == self.key_id

    def reencrypt(self, blob: bytes, *, context: str) -> tuple[str, bytes]:
        """(plaintext, the same plaintext under the primary key)."""
        plaintext = self.decrypt(blob, context=context)
        return plaintext, self.encrypt(plaintext, context=context)

    def lookup_hash(self, value: str, *, context: str) -> str:
        """The hash stored with a value written now (primary key)."""
        return self._primary.lookup_hash(value, context)

    def lookup_hashes(self, value: str, *, context: str) -> list[str]:
        """Every hash a stored value may carry while a rotation runs: primary key first."""
        return [key.lookup_hash(value, context) for key in self._keys]

    def _open(self, blob: bytes, context: str) -> tuple[str, _FieldKey]:
        if blob and blob[0] == _VERSION:
            key_id, body = blob[1 : 1 + _KEY_ID_BYTES], blob[1 + _KEY_ID_BYTES :]
            candidates = [k for k in self._keys if k.id == key_id]
            if not candidates:
                raise DecryptionError("written with a key this process does not have")
        elif blob and blob[0] == _LEGACY_VERSION:
            body, candidates = blob[1:], self._keys
        else:
            raise DecryptionError("unknown ciphertext version")
        for key in candidates:
            try:
                return key.aead.decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:], context.encode()).decode(), key
            except Exception:  # InvalidTag and friends: never leak details
                continue
        raise DecryptionError("ciphertext does not authenticate")


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
