import pytest

from core.crypto import DecryptionError, FieldCipher, mask_citizen_id, mask_phone
from core.orgs.phones import normalize_phone

KEY = "k" * 40


def test_round_trip_and_random_nonce() -> None:
    cipher = FieldCipher(KEY)
    a = cipher.encrypt("001068000146", context="citizen_id")
    b = cipher.encrypt("001068000146", context="citizen_id")
    assert a != b  # same value, different ciphertexts: equal IDs are not visible in the table
    assert b"001068000146" not in a
    assert cipher.decrypt(a, context="citizen_id") == "001068000146"


def test_context_is_authenticated() -> None:
    cipher = FieldCipher(KEY)
    blob = cipher.encrypt("0912345602", context="phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, context="citizen_id")


def test_tampering_and_wrong_key_are_detected() -> None:
    cipher = FieldCipher(KEY)
    blob = bytearray(cipher.encrypt("0912345602", context="phone"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt(bytes(blob), context="phone")
    with pytest.raises(DecryptionError):
        FieldCipher("z" * 40).decrypt(cipher.encrypt("x", context="phone"), context="phone")


def test_lookup_hash_is_keyed_and_stable() -> None:
    one, two = FieldCipher(KEY), FieldCipher("z" * 40)
    assert one.lookup_hash("0912345602", context="phone") == one.lookup_hash("0912345602", context="phone")
    assert one.lookup_hash("0912345602", context="phone") != two.lookup_hash("0912345602", context="phone")


def test_short_key_refused() -> None:
    with pytest.raises(ValueError):
        FieldCipher("short")


def test_masks() -> None:
    assert mask_citizen_id("001068000146") == "0010******46"
    assert mask_phone("0912345602") == "09******02"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345602", "0912345602"),
        ("0912 345 602", "0912345602"),
        ("+84 912 345 602", "0912345602"),
        ("84912345602", "0912345602"),
        ("912345602", "0912345602"),
        ("0912.345.602", "0912345602"),
        ("02143812345", "02143812345"),  # landline
        ("0112345678", None),
        ("+1 650 555 0100", None),
        ("09123", None),
        ("abc", None),
        ("", None),
    ],
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


# ------------------------------------------------------------------ key rotation (#18 item 11)

NEW_KEY = "n" * 40


def _legacy_blob(key: str, plaintext: str, context: str) -> bytes:
    """A version-1 ciphertext as written before key ids existed: 0x01 | nonce | ciphertext+tag."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from core.crypto import _derive

    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(_derive(key.encode(), b"field-encryption")).encrypt(nonce, plaintext.encode(), context.encode())


def test_ciphertext_carries_the_key_id_and_old_keys_stay_readable() -> None:
    old, rotating = FieldCipher(KEY), FieldCipher(NEW_KEY, old_keys=[KEY])
    under_old = old.encrypt("001068000146", context="citizen_id")
    assert old.key_id_of(under_old) == old.key_id != rotating.key_id
    assert rotating.decrypt(under_old, context="citizen_id") == "001068000146"
    assert not rotating.is_current(under_old) and rotating.is_current(None)
    plaintext, under_new = rotating.reencrypt(under_old, context="citizen_id")
    assert plaintext == "001068000146" and rotating.key_id_of(under_new) == rotating.key_id and rotating.is_current(under_new)
    # Once rotated, the old key is no longer needed; a process without the new key says so.
    assert FieldCipher(NEW_KEY).decrypt(under_new, context="citizen_id") == "001068000146"
    with pytest.raises(DecryptionError):
        old.decrypt(under_new, context="citizen_id")


def test_version_one_ciphertexts_are_read_with_whichever_key_opens_them() -> None:
    legacy = _legacy_blob(KEY, "0912345602", "phone")
    assert FieldCipher(KEY).decrypt(legacy, context="phone") == "0912345602"
    rotating = FieldCipher(NEW_KEY, old_keys=[KEY])
    assert rotating.key_id_of(legacy) is None and not rotating.is_current(legacy)
    assert rotating.decrypt(legacy, context="phone") == "0912345602"
    with pytest.raises(DecryptionError):
        FieldCipher(NEW_KEY).decrypt(legacy, context="phone")
    with pytest.raises(DecryptionError):
        rotating.decrypt(legacy, context="citizen_id")  # the context is still authenticated


def test_lookup_hashes_cover_every_key_primary_first() -> None:
    rotating = FieldCipher(NEW_KEY, old_keys=[KEY, KEY, NEW_KEY])  # repeats are ignored
    hashes = rotating.lookup_hashes("0912345602", context="phone")
    assert hashes == [FieldCipher(NEW_KEY).lookup_hash("0912345602", context="phone"), FieldCipher(KEY).lookup_hash("0912345602", context="phone")]
    assert rotating.lookup_hash("0912345602", context="phone") == hashes[0]
    with pytest.raises(ValueError):
        FieldCipher(NEW_KEY, old_keys=["short"])
