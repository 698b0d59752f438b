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
