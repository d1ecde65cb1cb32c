"""The ring's new lines into the log view, measured and filtered as one batch.

Without filters, JSON or stamps (the usual flood) a line is measured without being made again
as a LogLine: its prefix's width is known by its source, and a printable ASCII text is as wide
as it is long. Anything else is measured from its plain rows (log_rows.plain_rows)."""

from __future__ import annotations

from array import array

from rich.cells import cell_len

from kstui.screens.log_buffer import LogBuffer, LogLook
from kstui.screens.log_rows import MAX_PREFIX, head_cells, plain_rows
from kstui.widgets.log_lines import LogLines


class LogWriter:
    def __init__(self) -> None:
        self.heads: dict[int, int] = {}
        """A source's prefix width unpadded (-1 without one), for the prefixes shown."""
        self._heads_for: tuple[bool, ...] = ()

    def _heads(self, look: LogLook) -> dict[int, int]:
        shown = (look.show_context, look.show_pod, look.show_container)
        if shown != self._heads_for:
            self._heads_for, self.heads = shown, {}
        return self.heads

    def write(
        self, log: LogLines, ring: LogBuffer, look: LogLook, start: int, keys: array[int]
    ) -> None:
        """The ring's lines from `start` on into `log` (those the filters let through); each
        line's key goes on `keys`."""
        start = max(start, 0)
        plain = (
            look.include is None
            and look.exclude is None
            and look.json_mode == "raw"
            and not look.timestamps
        )
        heads, widths = self._heads(look), look.widths
        batch = _Batch(log, keys)
        texts, marks, metas = ring.texts[start:], ring.keys[start:], ring.metas[start:]
        for text, key, meta in zip(texts, marks, metas, strict=True):
            head = heads.get(meta >> 4) if plain else None
            if head is not None and text.isascii() and text.isprintable():
                width = widths.get("prefix", 0)
                if head < 0:
                    cells = len(text)
                else:
                    if head > width:
                        widths["prefix"] = width = min(head, MAX_PREFIX)
                    cells = max(head, width) + 3 + len(text)
                batch.add(text, cells, meta << 16 | min(width, 0xFFFF), key)
                continue
            line = ring.line(text, key, meta)
            rows = plain_rows(look, line)
            if plain:
                heads[meta >> 4] = head_cells(look, line)
            elif not look.wanted(line, "\n".join(rows)):
                continue
            tag = meta << 16 | min(widths.get("prefix", 0), 0xFFFF)
            if len(rows) == 1:
                batch.add(text, cell_len(rows[0]), tag, key)
            else:  # pretty JSON: an entry of several rows
                batch.done()
                log.append(text, [cell_len(row) for row in rows], tag, key)
                keys.append(key)
        batch.done()
        log.appended()


class _Batch:
    """One-row entries gathered to go into the view at once."""

    def __init__(self, log: LogLines, keys: array[int]) -> None:
        self.log, self.keys = log, keys
        self.texts: list[str] = []
        self.cells: list[int] = []
        self.tags: list[int] = []
        self.marks = array("q")

    def add(self, text: str, cells: int, tag: int, mark: int) -> None:
        self.texts.append(text)
        self.cells.append(cells)
        self.tags.append(tag)
        self.marks.append(mark)

    def done(self) -> None:
        if self.texts:
            self.log.extend(self.texts, self.cells, self.tags, self.marks)
            self.keys.extend(self.marks)
            self.texts, self.cells, self.tags, self.marks = [], [], [], array("q")
