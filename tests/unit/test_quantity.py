"""Kubernetes quantities: exact parsing, short spellings, ratios and sums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kstui.backends.quantity import (
    QuantityError,
    format_quantity,
    is_binary,
    parse_quantity,
    quantity_ratio,
    sum_quantities,
)
from kstui.backends.tenancy import validate_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", Decimal(0)),
        ("2", Decimal(2)),
        ("500m", Decimal("0.5")),
        ("1.5", Decimal("1.5")),
        (".5", Decimal("0.5")),
        ("+3", Decimal(3)),
        ("-1", Decimal(-1)),
        ("100n", Decimal("1E-7")),
        ("10u", Decimal("0.00001")),
        ("4k", Decimal(4000)),
        ("4M", Decimal(4_000_000)),
        ("4G", Decimal(4 * 10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("1Ki", Decimal(1024)),
        ("1Mi", Decimal(1024**2)),
        ("1.5Gi", Decimal(3 * 1024**3 // 2)),
        ("2Ti", Decimal(2 * 1024**4)),
        ("1Pi", Decimal(1024**5)),
        ("1Ei", Decimal(1024**6)),
        ("1e3", Decimal(1000)),
        ("12E-1", Decimal("1.2")),
        (" 8Gi ", Decimal(8 * 1024**3)),
    ],
)
def test_parse_quantity_is_exact(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Gi",
        "1.2.3",
        "1 Gi",
        "1gi",
        "1KB",
        "abc",
        "1e",
        "1e1.5",
        "0x10",
        "--1",
        "1,5",
    ],
)
def test_parse_quantity_refuses_what_the_api_refuses(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("value", "binary", "text"),
    [
        (Decimal(0), False, "0"),
        (Decimal(12), False, "12"),
        (Decimal("5.5"), False, "5500m"),
        (Decimal(12000), False, "12k"),
        (Decimal(4 * 10**9), False, "4G"),
        (Decimal("0.0000001"), False, "100n"),
        (Decimal(48 * 1024**3), True, "48Gi"),
        (Decimal(4736 * 1024**2), True, "4736Mi"),
        (Decimal(1000), True, "1000"),
        (Decimal("1E-10"), False, "0.0000000001"),
    ],
)
def test_format_quantity_picks_the_largest_whole_suffix(
    value: Decimal, binary: bool, text: str
) -> None:
    assert format_quantity(value, binary) == text
    assert parse_quantity(text) == value


def test_is_binary() -> None:
    assert is_binary("512Mi")
    assert is_binary("1Ki")
    assert not is_binary("512M")
    assert not is_binary("500m")
    assert not is_binary("2")


def test_quantity_ratio() -> None:
    assert quantity_ratio("5500m", "24") == pytest.approx(5.5 / 24)
    assert quantity_ratio("4736Mi", "24Gi") == pytest.approx(4736 / (24 * 1024))
    assert quantity_ratio("3", "3") == 1.0
    assert quantity_ratio("", "4") is None
    assert quantity_ratio("1", "0") is None
    assert quantity_ratio("lots", "4") is None


def test_sum_quantities() -> None:
    assert sum_quantities(["1Gi", "512Mi"]) == "1536Mi"
    assert sum_quantities(["500m", "1.5"]) == "2"
    assert sum_quantities(["250m", "100m"]) == "350m"
    assert sum_quantities(["10", "5"]) == "15"
    assert sum_quantities(["1", "oops"]) == "1"
    assert sum_quantities([]) == "0"


def test_validate_quantity_for_quotas() -> None:
    assert validate_quantity("24") is None
    assert validate_quantity("48Gi") is None
    assert validate_quantity("0") is None
    assert "not a quantity" in (validate_quantity("lots") or "")
    assert "negative" in (validate_quantity("-1") or "")
