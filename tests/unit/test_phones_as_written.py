"""Phone numbers as Vietnamese people write them (issue 18, item 12): the international prefix 00,
"+84 (0)…", spaces, dots, dashes, brackets and non-breaking spaces all give one national form; what
is not a Vietnamese number stays refused."""

import pytest

from core.orgs.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0084 912 345 602", "0912345602"),
        ("0084912345602", "0912345602"),
        ("+84 (0) 912 345 602", "0912345602"),
        ("+84(0)912.345.602", "0912345602"),
        ("(+84) 912-345-602", "0912345602"),
        ("+84 0912 345 602", "0912345602"),
        ("0084 (0) 24 3825 1234", "02438251234"),  # a Hà Nội landline
        ("(024) 3825 1234", "02438251234"),
        ("0912\u00a0345\u00a0602", "0912345602"),  # copied from a web page
        ("０９１２３４５６０２", "0912345602"),  # full-width digits from a Vietnamese keyboard
        ("0912 345 602 ", "0912345602"),
        ("0065 9123 4567", None),  # Singapore
        ("+84 (0) 112 345 678", None),
        ("0084", None),
        ("+84 912 345 602 ext 12", None),
    ],
)
def test_phone_numbers_as_people_write_them(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected
