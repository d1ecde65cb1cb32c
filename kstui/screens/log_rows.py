"""How the log view shows a line: its prefix (cluster, pod, container, coloured by name), its
body (JSON pretty or flattened, a timestamp), highlights; as Texts for the rows in view, or as
plain strings for each line that comes in (to filter and measure it without making Texts); and
its heading fitted to a narrow title."""

from __future__ import annotations

import re
import zlib

from rich.cells import cell_len
from rich.control import strip_control_codes
from rich.text import Text

from kstui.backends.log_streams import LogLine
from kstui.safe_text import inert, inert_line
from kstui.screens.log_buffer import LogLook

PALETTE = ("cyan", "magenta", "green", "yellow", "bright_blue", "bright_red")
NOTE_STYLE = "italic dim"
MAX_PREFIX = 60
"""A prefix wider than this is not padded to: the widest so far stops growing here."""


def colour(name: str) -> str:
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


def prefix_parts(look: LogLook, line: LogLine) -> list[tuple[str, str]]:
    """The prefix's names and their styles."""
    parts: list[tuple[str, str]] = []
    if look.show_context:
        parts.append((f"@{line.context}", "bold " + colour(line.context)))
    if look.show_pod and line.pod:
        parts.append((line.pod, colour(line.pod)))
    if look.show_container and line.container:
        parts.append((line.container, colour(line.pod + "/" + line.container)))
    return parts


def head_cells(look: LogLook, line: LogLine) -> int:
    """The width of the line's prefix unpadded, as `plain_rows` measures it (-1: none)."""
    parts = prefix_parts(look, line)
    if not parts:
        return -1
    return cell_len(strip_control_codes(" ".join(inert_line(text) for text, _s in parts)))


def plain_rows(look: LogLook, line: LogLine, pad: int | None = None) -> list[str]:
    """`rows_of(line)`'s plain text, without making Texts (each line that comes in is
    measured and filtered by it; its Texts are made only when it comes into view)."""
    head = ""
    parts = prefix_parts(look, line)
    if parts:
        head = strip_control_codes(" ".join(inert_line(text) for text, _style in parts))
        cells = cell_len(head)
        width = look.widths.get("prefix", 0) if pad is None else pad
        if pad is None and cells > width:
            look.widths["prefix"] = width = min(cells, MAX_PREFIX)
        head += " " * (width - cells) + " │ "
    rest = " " * cell_len(head)
    return [
        (rest if index else head) + strip_control_codes(inert(body))
        for index, body in enumerate(look.body(line))
    ]


def rows_of(
    look: LogLook, find: re.Pattern[str] | None, line: LogLine, pad: int | None = None
) -> list[Text]:
    """One buffered line as the Text rows the log shows (inert, styled, never markup);
    its prefix padded to `pad` cells (None: the widest prefix so far, which grows)."""
    prefix = Text()
    parts = prefix_parts(look, line)
    if parts:
        for index, (text, style) in enumerate(parts):
            prefix.append((" " if index else "") + inert_line(text), style=style)
        width = look.widths.get("prefix", 0) if pad is None else pad
        if pad is None and prefix.cell_len > width:
            look.widths["prefix"] = width = min(prefix.cell_len, MAX_PREFIX)
        prefix.pad_right(width - prefix.cell_len)
        prefix.append(" │ ", style="dim")
    rows = []
    for index, body in enumerate(look.body(line)):
        shown = Text(inert(body), style=NOTE_STYLE if line.note else "")
        if look.highlight is not None:
            shown.highlight_regex(look.highlight, "bold black on yellow")
        if find is not None:
            shown.highlight_regex(find, "reverse")
        head = prefix if index == 0 else Text(" " * prefix.cell_len)
        rows.append(Text.assemble(head, shown))
    return rows


SHORTEST_CUT = 12
"""A name cut in its middle keeps at least this many characters (its start and its end)."""


def fit_heading(heading: str, room: int) -> str:
    """The heading within `room` characters, keeping what tells it apart: the longest name in
    it (a workload's or a pod's, the selector) is cut in its middle first, its start and end
    kept, so the cluster at the end and the time window stay; when that is not enough, the
    heading is cut at the right."""
    if len(heading) <= room:
        return heading
    words = heading.split(" ")
    at = max(range(len(words)), key=lambda index: len(words[index]))
    word, over = words[at], len(heading) - room + 1  # the ellipsis takes one
    keep = max(len(word) - over, SHORTEST_CUT)
    if keep < len(word) - 1:
        start = keep // 2
        words[at] = word[:start] + "…" + word[len(word) - (keep - start) :]
        if len(cut := " ".join(words)) <= room:
            return cut
    return heading[: max(room - 1, 0)] + "…" if room > 8 else ""
