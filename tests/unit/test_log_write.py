"""The log view's writer measures a flood's lines without making them again (a source's prefix
width known, an ASCII text as wide as it is long): each entry's width and tag must be what the
general path (plain_rows of the whole line) gives, for every kind of line."""

from __future__ import annotations

from array import array
from typing import Any

from rich.cells import cell_len

from kstui.backends.log_streams import LogLine
from kstui.screens.log_buffer import LogBuffer, LogLook
from kstui.screens.log_rows import plain_rows
from kstui.screens.log_write import LogWriter


class Recorder:
    """What LogLines is given: each entry's text, row widths, tag and mark."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, list[int], int, int]] = []

    def extend(self, items: Any, widths: Any, tags: Any, marks: Any) -> None:
        for item, cells, tag, mark in zip(items, widths, tags, marks, strict=True):
            self.entries.append((item, [cells], tag, mark))

    def append(self, item: Any, cells: Any, tag: int = 0, mark: int = 0) -> int:
        self.entries.append((item, list(cells), tag, mark))
        return 0

    def appended(self) -> None:
        pass


def lines() -> list[LogLine]:
    stamp = "2026-01-01T00:00:{:02d}.5Z"
    made = [
        LogLine("host", "ns", "a", "app", stamp.format(1), "plain ascii"),
        LogLine("host", "ns", "a-much-longer-pod-name", "app", stamp.format(2), "grows"),
        LogLine("host", "ns", "a", "app", stamp.format(3), "wide 日本語 text"),
        LogLine("host", "ns", "a", "app", stamp.format(4), "tab\there and \x1b[31mescape"),
        LogLine("host", "ns", "p" * 70, "app", stamp.format(5), "a prefix past the limit"),
        LogLine("host", "ns", "a", "app", stamp.format(6), "after the limit"),
        LogLine("host", "ns", "b\x1b]0;t\x07", "app", stamp.format(7), "hostile pod name"),
        LogLine("host", "ns", "a", "", stamp.format(8), "joined", note=True),
        LogLine("host", "ns", "a", "app", stamp.format(9), '{"level": "warn", "n": 1}'),
        LogLine("host", "ns", "a", "app", stamp.format(10), ""),
    ]
    return made


def reference(ring: LogBuffer, look: LogLook) -> list[tuple[Any, list[int], int, int]]:
    """The general path, line by line, as the view wrote every line before."""
    expected = []
    for at, text in enumerate(ring.texts):
        line = ring.line(text, ring.keys[at], ring.metas[at])
        rows = plain_rows(look, line)
        if not look.wanted(line, "\n".join(rows)):
            continue
        width = min(look.widths.get("prefix", 0), 0xFFFF)
        tag = ring.metas[at] << 16 | width
        expected.append((text, [cell_len(row) for row in rows], tag, ring.keys[at]))
    return expected


def test_the_flood_path_measures_as_the_general_path() -> None:
    for show in ((True, True, True), (False, True, False), (False, False, False)):
        for json_mode, timestamps in (("raw", False), ("pretty", False), ("raw", True)):
            ring = LogBuffer(100)
            ring.add(lines())
            look = {"show_context": show[0], "show_pod": show[1], "show_container": show[2]}
            writer_look = LogLook(json_mode=json_mode, timestamps=timestamps, **look)
            reference_look = LogLook(json_mode=json_mode, timestamps=timestamps, **look)
            recorder, keys = Recorder(), array("q")
            writer = LogWriter()
            writer.write(recorder, ring, writer_look, 0, keys)  # type: ignore[arg-type]
            # and again: each source's prefix is known now (the flood path's second batch)
            writer.write(recorder, ring, writer_look, 0, keys)  # type: ignore[arg-type]
            expected = reference(ring, reference_look)
            expected += reference(ring, reference_look)
            assert recorder.entries == expected, (show, json_mode, timestamps)
            assert list(keys) == [entry[3] for entry in expected]
            assert writer_look.widths == reference_look.widths
