"""Text from a server, a kubeconfig or a log, made inert before it reaches the terminal.

Cluster data is written by whoever can write an annotation, a container's output or a
kubeconfig: an ESC, OSC or C1 sequence in it would drive the operator's terminal (set the
title, overwrite the clipboard, clear the screen), and bidi or zero-width characters would make
it show something other than what it holds. Every such string passes one of these functions
before it reaches a widget; the character is then shown, never emitted:

- C0 controls and DEL as their control pictures (ESC → ␛, BEL → ␇, one cell each);
- C1 controls, bidi controls, zero-width and other invisible format characters, line and
  paragraph separators and lone surrogates as escapes (`\\x9b`, `\\u202e`).

Rich or Textual markup is not touched here: widgets never parse data as markup (plain Text,
Content or `markup=False`). Stdlib only, so backends, widgets and screens may all use it.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import functools
import re
from typing import NamedTuple

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_C0_PICTURES[0x7F] = "\u2421"  # ␡

_INVISIBLE = (  # with C0 and DEL: every Cc, Cf, Zl, Zp and Cs character (a test checks)
    range(0x80, 0xA0),  # C1: CSI, OSC, NEL, … in 8-bit form
    (0x00AD, 0x061C, 0x06DD, 0x070F, 0x08E2, 0x180E, 0xFEFF, 0x110BD, 0x110CD),
    range(0x0600, 0x0606),  # Arabic number signs
    range(0x0890, 0x0892),
    range(0x200B, 0x2010),  # zero-width space/non-joiner/joiner, LRM, RLM
    range(0x2028, 0x202F),  # line/paragraph separator, bidi embeddings and overrides
    range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates, deprecated
    range(0xFFF9, 0xFFFC),  # interlinear annotation
    range(0xD800, 0xE000),  # lone surrogates (JSON may carry them; they cannot be encoded)
    range(0x13430, 0x13440),  # Egyptian hieroglyph format controls
    range(0x1BCA0, 0x1BCA4),  # shorthand format controls
    range(0x1D173, 0x1D17B),  # musical symbol format controls
    range(0xE0000, 0xE0080),  # tags: invisible ASCII look-alikes
)


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


class _Tables(NamedTuple):
    visible: dict[int, str]
    """Every character shown otherwise, and how."""
    text: dict[int, str]
    """Multi-line text: newlines stay, tabs are expanded afterwards."""
    line: dict[int, str]
    """One line (a cell, a name, a header): a newline is shown, not followed."""
    cell: dict[int, str]
    """Exactly one character for one: editable fields, whose cursor positions must line up."""
    unsafe_text: re.Pattern[str]
    """Any character `inert` changes."""


@functools.cache
def _tables() -> _Tables:
    """Built at the first text that needs them (~2 ms at import, before the first frame)."""
    visible: dict[int, str] = dict(_C0_PICTURES)
    for group in _INVISIBLE:
        visible.update((code, _escape(code)) for code in group)
    text = {code: shown for code, shown in visible.items() if code not in (0x09, 0x0A)}
    line = {**visible, 0x09: " ", 0x0A: "\u2424"}  # tab → space, newline → ␤
    cell = {code: (shown if len(shown) == 1 else "\ufffd") for code, shown in visible.items()}
    cell[0x09] = " "
    unsafe_text = re.compile(f"[{_ranges(set(text) | {0x09})}]")
    return _Tables(visible, text, line, cell, unsafe_text)


def _ranges(codes: set[int]) -> str:
    """A regex character class body of ranges: one compact set, fast to scan."""
    parts, ordered = [], sorted(codes)
    start = previous = ordered[0]
    for code in [*ordered[1:], -1]:
        if code != previous + 1:
            parts.append(
                re.escape(chr(start)) + (f"-{re.escape(chr(previous))}" if previous > start else "")
            )
            start = code
        previous = code
    return "".join(parts)


def inert(text: str) -> str:
    """Multi-line text (describe, YAML, a log line, a message) with nothing left that a
    terminal would act on. Newlines stay; CRLF becomes LF; tabs become spaces."""
    tables = _tables()
    if tables.unsafe_text.search(text) is None:
        return text  # the usual case: one C-level scan, no copy
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    text = text.translate(tables.text)
    return text.expandtabs(8) if "\t" in text else text


def inert_line(text: str) -> str:
    """One line (a table cell, a name, a header): like `inert`, and a newline shows as ␤."""
    if text.isprintable():
        return text  # printable excludes every control, format and separator character
    return text.translate(_tables().line)


def inert_cells(text: str) -> str:
    """Like `inert_line` but one character for one, for fields with a cursor (escapes would
    move it): control pictures for C0, U+FFFD for the rest."""
    if text.isprintable():
        return text
    return text.translate(_tables().cell)
