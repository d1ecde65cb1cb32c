"""safe_text: cluster text never carries a character a terminal would act on."""

from __future__ import annotations

import time
import unicodedata

import pytest

from kstui.safe_text import _tables, inert, inert_cells, inert_line

HOSTILE = (
    "\x1b]0;PWNED\x07"  # OSC 0: window title
    "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: clipboard
    "\x1b[2J\x1b[H"  # CSI: clear screen, home
    "\x07\x08\x7f"  # BEL, BS, DEL
    "\x9b31m\x9d0;x\x9c\x85"  # C1: CSI, OSC, ST, NEL
    "\u202eevil\u202c\u2066\u2069\u200e\u200f\u061c"  # bidi
    "\u200b\u200c\u200d\u2060\ufeff"  # zero width
    "\u2028\u2029"  # line and paragraph separators
    "\U000e0041"  # tag character
    "\ud800"  # lone surrogate
)


def _terminal_actionable(text: str, *, newline: bool) -> list[str]:
    """Characters a terminal would act on or not show: controls (Cc), format (Cf), line and
    paragraph separators (Zl, Zp) and surrogates (Cs)."""
    allowed = {"\n"} if newline else set()
    return [
        ch
        for ch in text
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")
    ]


def test_every_mapped_character_is_non_printable() -> None:
    # inert_line's fast path (str.isprintable) is only sound if this holds
    assert [hex(code) for code in _tables().visible if chr(code).isprintable()] == []


@pytest.mark.parametrize("function", [inert, inert_line, inert_cells])
def test_hostile_text_keeps_nothing_a_terminal_acts_on(function) -> None:  # type: ignore[no-untyped-def]
    shown = function(HOSTILE)
    assert _terminal_actionable(shown, newline=function is inert) == []
    shown.encode("utf-8")  # a lone surrogate would make the terminal write fail


def test_controls_are_shown_not_dropped() -> None:
    assert inert("a\x1b]0;PWNED\x07b") == "a␛]0;PWNED␇b"
    assert inert("x\x9by\u202ez\u200b") == "x\\x9by\\u202ez\\u200b"
    assert inert("\U000e0041") == "\\U000e0041"
    assert inert("\x7f") == "␡"


def test_multi_line_text_keeps_lines_and_expands_tabs() -> None:
    assert inert("a\r\nb\n\tc") == "a\nb\n        c"
    assert inert("progress\r100%") == "progress␍100%"


def test_one_line_shows_newlines_and_tabs_as_space() -> None:
    assert inert_line("a\nb\tc\rd") == "a␤b c␍d"


def test_cells_keep_one_character_per_character() -> None:
    text = "a\x1bb\x9bc\u202ed\td"
    shown = inert_cells(text)
    assert len(shown) == len(text)
    assert shown == "a␛b\ufffdc\ufffdd d"


def test_markup_and_ordinary_text_pass_unchanged() -> None:
    for text in (
        "[bold red]x[/]",
        "[link=https://example.com]y[/link]",
        "nginx-7d4b9c-x2",
        "名前 Ärger emoji 👍🏽",
        "a b  c",
        "",
    ):
        assert inert(text) is text or inert(text) == text
        assert inert_line(text) == text
        assert inert_cells(text) == text


def test_a_large_value_is_fast() -> None:
    big = "v" * 100_000 + "\x1b]52;c;AAAA\x07" + "\n" + "w" * 100_000
    started = time.perf_counter()
    for _ in range(10):
        shown = inert(big)
        inert_line(big)
    elapsed = (time.perf_counter() - started) / 10
    assert "\x1b" not in shown
    assert elapsed < 0.05, f"{elapsed * 1000:.1f} ms for 200,000 characters"


def test_every_control_format_and_separator_character_is_mapped() -> None:
    categories = ("Cc", "Cf", "Zl", "Zp", "Cs")
    missing = [
        hex(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in categories and code not in _tables().visible
    ]
    assert missing == []
